"""The panel at every size people use: for a student and an instructor, in
the sidebar and in the main area, at window widths from 280 to 1,600 px and
heights from 600 to 1,200 px, no control overlaps another and none is cut
off where it cannot be scrolled to. Screenshots of each size go to the
tests' artifact directory (``CLASSROOM_TEST_ARTIFACTS``, by default
``build/test-artifacts``), under ``layout/``."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, FloatRect, Locator, Page

from ..harness import wait_until
from ..harness.pages import (
    PANEL,
    close_context,
    joined,
    login_as,
    my_id,
    open_classroom,
    seats_at,
    walk_to,
    workspace_name,
)
from ..harness.servers import REPO, JupyterProcess
from .test_people import Crowd

WIDTHS = (280, 360, 600, 900, 1200, 1600)
HEIGHTS = (600, 800, 900, 1200)
#: The standalone page: narrow and wide, short and tall.
PAGE_SIZES = ((360, 600), (360, 900), (900, 800), (1280, 800), (1600, 1200))

ARTIFACTS = Path(os.environ.get("CLASSROOM_TEST_ARTIFACTS", REPO / "build" / "test-artifacts"))

#: What counts as a control, and the measuring of them all, in the page.
MEASURE = """
(panelSelector) => {
  const panel = document.querySelector(panelSelector);
  const CONTROLS = 'button, input, select, textarea, label, h1, h2, h3, h4, summary, '
    + '[role=tab], [role=tablist], canvas, .jp-Classroom-status, .jp-Classroom-breakoutTimer, '
    + '.jp-Classroom-announcementText, .jp-Classroom-callStatus';
  const name = e => {
    const text = (e.getAttribute('aria-label') || e.textContent || e.getAttribute('placeholder') || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `${e.tagName.toLowerCase()}${e.className && typeof e.className === 'string'
      ? '.' + e.className.trim().split(/\\s+/).join('.') : ''} "${text}"`;
  };
  const shown = e => e.checkVisibility({ checkVisibilityCSS: true })
    && !e.closest('.jp-Classroom-visuallyHidden, .jp-Classroom-teachingLive')
    && e.getAttribute('type') !== 'hidden';
  // The part of a control its ancestors let be seen (a list that scrolls
  // shows only the entries in its box; the rest is not drawn over anything).
  const seen = e => {
    const r = e.getBoundingClientRect();
    let v = { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    for (let p = e.parentElement; p && p !== panel; p = p.parentElement) {
      const s = getComputedStyle(p), box = p.getBoundingClientRect();
      if (s.overflowX !== 'visible') v = { ...v, left: Math.max(v.left, box.left), right: Math.min(v.right, box.right) };
      if (s.overflowY !== 'visible') v = { ...v, top: Math.max(v.top, box.top), bottom: Math.min(v.bottom, box.bottom) };
    }
    return v;
  };
  const controls = [...panel.querySelectorAll(CONTROLS)].filter(shown)
    .map(e => ({ e, r: e.getBoundingClientRect(), v: seen(e) }))
    .filter(c => c.r.width > 0.5 && c.r.height > 0.5);
  const problems = [];
  // Overlap: two controls, neither inside the other, whose visible parts
  // share more than a pixel each way.
  for (let i = 0; i < controls.length; i++) {
    for (let j = i + 1; j < controls.length; j++) {
      const a = controls[i], b = controls[j];
      if (a.e.contains(b.e) || b.e.contains(a.e)) continue;
      const w = Math.min(a.v.right, b.v.right) - Math.max(a.v.left, b.v.left);
      const h = Math.min(a.v.bottom, b.v.bottom) - Math.max(a.v.top, b.v.top);
      if (w > 1 && h > 1) problems.push(`overlap: ${name(a.e)} and ${name(b.e)}`);
    }
  }
  // Clipping: part of a control outside an ancestor that clips it. An
  // ancestor that scrolls on an axis can bring it into view on that axis:
  // from there up, only the part of that ancestor it shows must be unclipped.
  const scrolls = v => v === 'auto' || v === 'scroll';
  for (const { e, r: rect } of controls) {
    let r = { left: rect.left, right: rect.right, top: rect.top, bottom: rect.bottom };
    for (let p = e.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      const box = p.getBoundingClientRect();
      if (scrolls(s.overflowX) && p !== panel) {
        r = { ...r, left: Math.max(r.left, box.left), right: Math.min(r.right, box.right) };
      }
      if (scrolls(s.overflowY) && p !== panel) {
        r = { ...r, top: Math.max(r.top, box.top), bottom: Math.min(r.bottom, box.bottom) };
      }
      const outX = r.left < box.left - 1 || r.right > box.right + 1;
      const outY = r.top < box.top - 1 || r.bottom > box.bottom + 1;
      const clipsX = s.overflowX !== 'visible' || p === panel;
      const clipsY = s.overflowY !== 'visible' || p === panel;
      if ((outX && clipsX) || (outY && clipsY)) {
        problems.push(`clipped: ${name(e)} by ${name(p)}`);
        break;
      }
      if (p === panel) break;
    }
    // Words that do not fit their own control print over their neighbours.
    if (e.matches('button, label, summary, h3, h4, [role=tab]')) {
      const s = getComputedStyle(e);
      if (s.textOverflow !== 'ellipsis' && e.scrollWidth > e.clientWidth + 1 && s.overflowX !== 'visible') {
        problems.push(`text cut: ${name(e)}`);
      }
    }
  }
  const body = panel.querySelector('.jp-Classroom-body');
  // Whether the chat's box and Send button are in view without scrolling.
  const inView = e => {
    const r = e.getBoundingClientRect(), b = body.getBoundingClientRect();
    return r.height > 0 && r.top >= b.top - 1 && r.bottom <= b.bottom + 1;
  };
  const compose = panel.querySelector('.jp-Classroom-compose');
  const chatInView = !!compose && [...compose.querySelectorAll('textarea, button')].every(inView);
  return { problems, count: controls.length, layout: body.dataset.layout, chatInView };
}
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    server = JupyterProcess(
        tmp_path_factory.mktemp("sizes"),
        identity_provider="tests.harness.clients.LoginNamedUsers",
        instructors="['teacher']",
        owner_is_instructor=False,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def login(
    browser: Browser, lab: JupyterProcess, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Page]]:
    contexts: list[BrowserContext] = []

    def make(user: str) -> Page:
        # Tall enough to set the lesson up with everything in view.
        context, page = login_as(
            browser,
            lab,
            user,
            workspace_name(f"{request.node.name}-{user}"),
            viewport={"width": 1400, "height": 1200},
        )
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        close_context(context)


def settle(page: Page) -> None:
    """Wait for the resize to be laid out: two frames after the viewport changed."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def check_sizes(
    page: Page, who: str, where: str, sizes: Iterable[tuple[int, int]] | None = None
) -> list[str]:
    """Every size (or those given, width and height): the problems found
    (empty: none), and a screenshot each."""
    out = ARTIFACTS / "layout"
    out.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    every = ((width, height) for height in HEIGHTS for width in WIDTHS)
    for width, height in sizes or every:
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
        # The panel lays itself out from a ResizeObserver: wait until it has.
        wait_until(
            lambda: page.evaluate(
                f"document.querySelector('{PANEL} .jp-Classroom-body').clientWidth"
                f" === Math.round(document.querySelector('{PANEL} .jp-Classroom-body')"
                ".getBoundingClientRect().width)"
            ),
            what="the panel laid out",
        )
        settle(page)
        result: dict[str, Any] = page.evaluate(MEASURE, PANEL)
        name = f"{who}-{where}-{width}x{height}-{result['layout']}.png"
        page.screenshot(path=str(out / name))
        assert result["count"] > 5, f"{name}: only {result['count']} controls found"
        found += [f"{name}: {p}" for p in result["problems"]]
        # From 800 px of height the chat is usable beside the map.
        if height >= 800 and result["layout"] != "tabs" and not result["chatInView"]:
            found.append(f"{name}: the chat's box or Send button is out of view")
    return found


def open_group(page: Page, title: str) -> None:
    """Unfold a group of the instructor's controls."""
    group = page.locator(
        f"{PANEL} details.jp-Classroom-teachGroup", has=page.locator("summary", has_text=title)
    )
    if group.get_attribute("open") is None:
        group.locator("summary").click()


def test_nothing_overlaps_or_is_cut_off_at_any_size(login) -> None:
    teacher, ann = login("teacher"), login("ann")
    joined(teacher, 2)
    joined(ann, 2)
    # A lesson in progress: an announcement, a breakout with its countdown, a raised hand.
    open_group(teacher, "Announcement")
    teacher.get_by_role("textbox", name="Announcement for everyone").fill(
        "Exercise 3 is due at the end of the lesson: push your notebook before you leave."
    )
    teacher.get_by_role("button", name="Announce", exact=True).click()
    open_group(teacher, "Breakouts")
    teacher.get_by_role("combobox", name="How students get to tables").select_option("choose")
    teacher.get_by_role("spinbutton", name="Minutes").fill("30")
    teacher.get_by_role("button", name="Start breakouts").click()
    ann.get_by_role("button", name="Raise hand").click()
    for page in (teacher, ann):
        page.locator(f"{PANEL} .jp-Classroom-breakoutTimer").wait_for()
        page.locator(f"{PANEL} .jp-Classroom-announcement").wait_for()

    problems: list[str] = []
    try:
        for page, who in ((ann, "student"), (teacher, "instructor")):
            problems += check_sizes(page, who, "sidebar")
            page.set_viewport_size({"width": 1400, "height": 900})
            page.get_by_role("button", name="Open the classroom in the main area").click()
            page.wait_for_selector(f'#jp-main-dock-panel {PANEL}[data-placement="main"]')
            problems += check_sizes(page, who, "main")
    finally:
        end_lesson(teacher, ann)
    assert problems == [], "\n".join(problems)


def end_lesson(teacher: Page, ann: Page) -> None:
    """The lesson's breakout, announcement and raised hand end with the test:
    the classroom (one server for the module) is left as it was found."""
    open_group(teacher, "Breakouts")
    teacher.get_by_role("button", name="End breakouts").click()
    open_group(teacher, "Announcement")
    teacher.get_by_role("button", name="Clear announcement").click()
    ann.get_by_role("button", name="Lower hand").click()
    for page in (teacher, ann):
        page.locator(f"{PANEL} .jp-Classroom-breakoutTimer").wait_for(state="hidden")
        page.locator(f"{PANEL} .jp-Classroom-announcement").wait_for(state="hidden")
    ann.get_by_role("button", name="Raise hand").wait_for()


#: Heights of a 1,280 px wide window where the default sidebar is in tabs:
#: with room for the list under the map, and without.
UNDER_HEIGHT = 720
TABS_HEIGHT = 520


def section_tab(page: Page, section: str) -> Locator:
    return page.locator(f"{PANEL} .jp-Classroom-sectionTab[data-section={section}]")


def box_of(page: Page, selector: str) -> FloatRect:
    box = page.locator(selector).bounding_box()
    assert box, f"{selector} is not shown"
    return box


def arranged(page: Page, layout: str, people_under: bool) -> None:
    body = page.locator(f"{PANEL} .jp-Classroom-body")
    wait_until(
        lambda: (
            body.get_attribute("data-layout") == layout
            and body.get_attribute("data-people-under") == str(people_under).lower()
        ),
        what=f"{layout}, the list {'under the map' if people_under else 'in its place'}",
    )


def test_in_tabs_a_map_with_height_to_spare_has_the_list_under_it(login) -> None:
    teacher, ann = login("teacher"), login("ann")
    joined(teacher, 2)
    joined(ann, 2)
    # The default sidebar in a short window: tabs, the map at the sidebar's
    # width leaving room under it for the list.
    ann.set_viewport_size({"width": 1280, "height": UNDER_HEIGHT})
    arranged(ann, "tabs", True)
    body = box_of(ann, f"{PANEL} .jp-Classroom-body")
    stage = box_of(ann, f"{PANEL} .jp-Classroom-stage")
    people = box_of(ann, f"{PANEL} .jp-Classroom-people")
    # Under the map and its tiles, down to the panel's foot: no empty band.
    assert people["y"] >= stage["y"] + stage["height"] - 1
    assert abs(people["y"] + people["height"] - (body["y"] + body["height"])) <= 1
    # Nothing twice: no People tab; the Map tab controls the stage and the list.
    assert ann.get_by_role("tab", name="People").count() == 0
    controls = (section_tab(ann, "map").get_attribute("aria-controls") or "").split()
    ids = ann.evaluate(
        f"['stage', 'people'].map(c => document.querySelector('{PANEL} .jp-Classroom-' + c).id)"
    )
    assert controls == ids
    # The arrow keys, Home and End walk the tabs shown.
    section_tab(ann, "map").focus()
    for key, section in (("ArrowRight", "chat"), ("ArrowRight", "map"), ("End", "chat")):
        ann.keyboard.press(key)
        assert section_tab(ann, section).get_attribute("aria-selected") == "true"
        assert ann.evaluate("document.activeElement.dataset.section") == section
    assert not ann.locator(f"{PANEL} .jp-Classroom-people").is_visible()
    ann.keyboard.press("Home")
    ann.locator(f"{PANEL} .jp-Classroom-people").wait_for()
    # A message while the Map tab is shown: the Chat tab is marked.
    teacher.fill(f"{PANEL} .jp-Classroom-compose textarea", "Table 3, please.")
    teacher.keyboard.press("Enter")
    chat = section_tab(ann, "chat")
    wait_until(lambda: chat.get_attribute("aria-label") == "Chat (new)", what="the mark")
    assert "jp-mod-unread" in (chat.get_attribute("class") or "")

    # Shorter: too little under the map; the People tab is back, in its place.
    ann.set_viewport_size({"width": 1280, "height": TABS_HEIGHT})
    arranged(ann, "tabs", False)
    assert not ann.locator(f"{PANEL} .jp-Classroom-people").is_visible()
    section_tab(ann, "map").focus()
    ann.keyboard.press("ArrowRight")
    assert section_tab(ann, "people").get_attribute("aria-selected") == "true"
    ann.locator(f"{PANEL} .jp-Classroom-people").wait_for()
    assert (section_tab(ann, "people").get_attribute("aria-controls") or "") == ids[1]


def announce(teacher: Page, text: str) -> None:
    open_group(teacher, "Announcement")
    teacher.get_by_role("textbox", name="Announcement for everyone").fill(text)
    teacher.get_by_role("button", name="Announce", exact=True).click()


def test_the_announcement_is_a_banner_each_person_dismisses(login) -> None:
    teacher, ann = login("teacher"), login("ann")
    joined(teacher, 2)
    joined(ann, 2)
    announce(teacher, "Read chapter 2 before the break.")
    banner = ann.locator(f"{PANEL} .jp-Classroom-announcement")
    wait_until(lambda: banner.is_visible(), what="the banner")
    # A live region: a screen reader says it when it comes.
    said = ann.get_by_role("status").filter(has_text="Read chapter 2 before the break.")
    assert said.inner_text() == "Announcement from Teacher: Read chapter 2 before the break."

    # A page that joins later sees it too: the welcome carries it.
    ann.reload()
    open_classroom(ann)
    banner.filter(has_text="chapter 2").wait_for()

    # Ann dismisses it: gone for her, after a reload too; the teacher still has it.
    ann.get_by_role("button", name="Dismiss the announcement").click()
    banner.wait_for(state="hidden")
    ann.reload()
    open_classroom(ann)
    joined(ann, 2)
    # The welcome has been taken (Ann is listed), and the banner stays hidden.
    assert not banner.is_visible()
    assert teacher.locator(f"{PANEL} .jp-Classroom-announcement").is_visible()

    # A new announcement shows again.
    announce(teacher, "Back at 11.")
    ann.locator(f"{PANEL} .jp-Classroom-announcement", has_text="Back at 11.").wait_for()


#: The map's own words and avatars, in CSS pixels over its canvas: what covers what.
MAP_WORDS = """
([panelSelector, me]) => {
  const map = document.querySelector(`${panelSelector} .jp-Classroom-map`);
  const canvas = map.querySelector('canvas');
  const c = canvas.getBoundingClientRect();
  // The frame drawn is the one for the box's size now (not the size before a resize).
  const drawn = Math.abs(c.width - map.clientWidth) <= 1 || Math.abs(c.height - map.clientHeight) <= 1;
  // Zoomed in, the words beyond the map's box are not seen: only what shows counts.
  const m = map.getBoundingClientRect();
  const view = { left: m.left + map.clientLeft - c.left, top: m.top + map.clientTop - c.top };
  const shows = b => {
    const x = Math.max(b.x, view.left), y = Math.max(b.y, view.top);
    const right = Math.min(b.x + b.width, view.left + map.clientWidth);
    const bottom = Math.min(b.y + b.height, view.top + map.clientHeight);
    return right - x > 0.5 && bottom - y > 0.5 ? [{ ...b, x, y, width: right - x, height: bottom - y }] : [];
  };
  const people = (map.classroomLabels || []).flatMap(shows);
  const rooms = (map.classroomRoomLabels || []).flatMap(shows).map(b => ({ ...b, text: `room ${b.text}` }));
  const avatars = map.classroomAvatars || [];
  // What lies over the map or at its edge: its buttons and a refusal's notice.
  const over = [...document.querySelectorAll(
    `${panelSelector} .jp-Classroom-mapControls button, ${panelSelector} .jp-Classroom-mapNotice`)]
    .filter(e => e.checkVisibility())
    .map(e => { const r = e.getBoundingClientRect();
      return { text: `control ${e.getAttribute('aria-label') || e.textContent}`,
               x: r.left - c.left, y: r.top - c.top, width: r.width, height: r.height }; });
  const cover = (a, b) => Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x) > 0.5
    && Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y) > 0.5;
  const problems = [];
  for (let i = 0; i < people.length; i++) {
    for (const other of [...people.slice(i + 1), ...rooms, ...over]) {
      if (cover(people[i], other)) problems.push(`"${people[i].text}" covers "${other.text}"`);
    }
  }
  for (const room of rooms) {
    for (const o of over) if (cover(room, o)) problems.push(`"${room.text}" is under "${o.text}"`);
  }
  // A word over someone hides who it is: no room's name over anyone (one that
  // could go nowhere else lies beneath the avatars), and no one's name over
  // someone else (ours may, where nothing else is free).
  const onDisc = (b, a) => Math.hypot(Math.max(b.x - a.x, 0, a.x - b.x - b.width),
    Math.max(b.y - a.y, 0, a.y - b.y - b.height)) < a.r - 0.5;
  for (const a of avatars) {
    for (const b of [...rooms.filter(r => !r.under), ...people.filter(p => p.id !== a.id && p.id !== me)]) {
      if (onDisc(b, a)) problems.push(`"${b.text}" covers avatar ${a.id}`);
    }
  }
  // People told apart at a glance: no avatar's bubble over another's.
  for (let i = 0; i < avatars.length; i++) {
    for (const b of avatars.slice(i + 1)) {
      const a = avatars[i];
      if (Math.hypot(a.x - b.x, a.y - b.y) < a.r + b.r - 0.5) problems.push(`avatars ${a.id} and ${b.id} overlap`);
    }
  }
  return { drawn, problems, labels: people.map(b => b.id), rooms: rooms.length, avatars: avatars.length,
           under: rooms.filter(r => r.under).length };
}
"""


def map_words(page: Page, me: str, count: int, name: str) -> list[str]:
    """What covers what on the map now (a frame drawn at this size, with our name
    and everyone's avatar), and a screenshot."""
    settle(page)
    result: dict[str, Any] = wait_until(
        lambda: (
            r
            if (r := page.evaluate(MAP_WORDS, [PANEL, me]))["drawn"]
            and r["avatars"] == count
            and r["rooms"] > 0
            and me in r["labels"]
            else None
        ),
        what=f"the map drawn at its size ({name})",
    )
    out = ARTIFACTS / "layout"
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"map-words-{name}.png"))
    return [f"{name}: {p}" for p in result["problems"]]


@pytest.mark.timeout(400)
def test_names_on_the_map_cover_no_word_control_or_avatar(login, lab) -> None:
    # Three people at neighbouring seats of Table 2 (two of them protocol
    # clients), and the teacher on the stage beside its name.
    row = sorted(s for s in seats_at(800, 455) if s[1] > 455)
    teacher, ann = login("teacher"), login("ann")
    joined(teacher, 2)
    joined(ann, 2)
    crowd = Crowd(lab)
    try:
        crowd.join("Ben Carter", *row[1])
        crowd.join("Cleo Diaz", *row[2])
        joined(ann, 4)
        walk_to(ann, *row[0], timeout=60)
        walk_to(teacher, 470, 80, timeout=60)
        joined(teacher, 4)
        problems: list[str] = []
        # Every size the controls are checked at, in the sidebar and in the main area.
        every = [(width, height) for height in HEIGHTS for width in WIDTHS]
        for page, who in ((ann, "student"), (teacher, "instructor")):
            me = my_id(page)
            for width, height in every:
                page.set_viewport_size({"width": width, "height": height})
                problems += map_words(page, me, 4, f"{who}-sidebar-{width}x{height}")
            page.set_viewport_size({"width": 1280, "height": 800})
            page.get_by_role("button", name="Open the classroom in the main area").click()
            page.wait_for_selector(f'#jp-main-dock-panel {PANEL}[data-placement="main"]')
            for width, height in every:
                page.set_viewport_size({"width": width, "height": height})
                problems += map_words(page, me, 4, f"{who}-main-{width}x{height}")
            # Zoomed in on the table (following us), the words are larger and
            # closer, and laid out in the part of the map in view.
            page.get_by_role("button", name="Zoom in (+)").click()
            wait_until(
                lambda p=page: (
                    p.locator(f"{PANEL} .jp-Classroom-map").get_attribute("data-zoom") != "1"
                ),
                what="the map zoomed in",
            )
            for width, height in ((1280, 800), (600, 1200), (1600, 600)):
                page.set_viewport_size({"width": width, "height": height})
                problems += map_words(page, me, 4, f"{who}-main-zoomed-{width}x{height}")
        assert problems == [], "\n".join(problems)
    finally:
        crowd.close()


def on_the_page(browser: Browser, lab: JupyterProcess, user: str) -> tuple[BrowserContext, Page]:
    """A browser on the standalone page (``classroom/page``), signed in as ``user``."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1200}, permissions=["microphone", "camera"]
    )
    page = context.new_page()
    query = urllib.parse.urlencode({"token": lab.token, "user": user})
    page.goto(f"{lab.url}classroom/page?{query}")
    page.locator(PANEL).wait_for()
    return context, page


@pytest.mark.timeout(400)
def test_the_standalone_page_fits_and_its_map_words_cover_nothing(browser, lab, login) -> None:
    # Ben in JupyterLab at Table 2; Ann and the teacher on the standalone page.
    ben = login("ben")
    joined(ben, 1)
    walk_to(ben, 720, 400, timeout=60)
    contexts: list[BrowserContext] = []
    try:
        problems: list[str] = []
        for user, who in (("ann", "student"), ("teacher", "instructor")):
            context, page = on_the_page(browser, lab, user)
            contexts.append(context)
            joined(page, 2)
            me = my_id(page)
            problems += check_sizes(page, who, "page", PAGE_SIZES)
            for width, height in ((1280, 800), (360, 900)):
                page.set_viewport_size({"width": width, "height": height})
                problems += map_words(page, me, 2, f"{who}-page-{width}x{height}")
            close_context(context)
            contexts.remove(context)
        assert problems == [], "\n".join(problems)
    finally:
        for context in contexts:
            close_context(context)
