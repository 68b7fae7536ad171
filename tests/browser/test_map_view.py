"""The map in real Chromium: drawn with its tiles, filling its space, zoomed
and following from the keyboard, cameras in the avatars' bubbles."""

from __future__ import annotations

from ..harness import wait_until
from ..harness.pages import PANEL, hold_key, joined, my_position

MAP = f"{PANEL} .jp-Classroom-map"
ROOM = f"document.getElementById('{PANEL[1:]}').classroomRoom"


def view(page) -> tuple[float, float, float]:
    """The map point at the canvas's top-left corner, and CSS pixels per map pixel."""
    x, y, s = page.locator(MAP).get_attribute("data-view").split(",")
    return float(x), float(y), float(s)


def pixel(page, x: float, y: float) -> tuple[int, int, int]:
    """The canvas's colour at a map point."""
    ox, oy, scale = view(page)
    return tuple(
        page.evaluate(
            """([cx, cy, map]) => {
                const canvas = document.querySelector(`${map} canvas`);
                const k = canvas.width / canvas.getBoundingClientRect().width;
                return [...canvas.getContext('2d').getImageData(Math.round(cx * k), Math.round(cy * k), 1, 1).data].slice(0, 3);
            }""",
            [(x - ox) * scale, (y - oy) * scale, MAP],
        )
    )


def press(page, key: str) -> None:
    """Press a key on the map. (Focus it each time: JupyterLab's launcher
    takes the focus once, whenever it opens after the page has loaded.)"""
    page.focus(MAP)
    page.keyboard.press(key)


def box(page, selector: str) -> dict[str, float]:
    return page.locator(selector).bounding_box()


def test_the_tiles_are_drawn_and_the_map_fills_its_space(person) -> None:
    page = person()
    joined(page, 1)
    page.wait_for_selector(f'{MAP}[data-tiles="drawn"]', state="attached", timeout=20_000)
    # The default map's pictures, where its tiles are: the stage's carpet,
    # the left wall's bricks, the wooden floor (no longer a flat colour).
    wait_until(lambda: pixel(page, 1000, 150)[0] > 120, what="the stage's carpet")
    r, g, b = pixel(page, 1000, 150)
    assert r > 120 and g < 90 and b < 100, (r, g, b)
    r, g, b = pixel(page, 16, 480)
    assert b > r and max(r, g, b) < 170, (r, g, b)
    r, g, b = pixel(page, 560, 300)
    assert r > g > b and r > 180, (r, g, b)

    # In the sidebar the whole map fits the width it is given.
    canvas, space = box(page, f"{MAP} canvas"), box(page, MAP)
    assert abs(canvas["width"] - (space["width"] - 2)) <= 2, (canvas, space)
    sidebar_width = canvas["width"]
    # Beside the notebooks it is larger, and still whole.
    page.get_by_role("button", name="Open the classroom in the main area").click()
    page.wait_for_selector(f'#jp-main-dock-panel {PANEL}[data-placement="main"]')
    wait_until(
        lambda: box(page, f"{MAP} canvas")["width"] > sidebar_width * 1.5, what="a larger map"
    )
    canvas, space = box(page, f"{MAP} canvas"), box(page, MAP)
    assert canvas["width"] <= space["width"] and canvas["height"] <= space["height"]
    assert abs(canvas["width"] / canvas["height"] - 1600 / 960) < 0.02
    page.get_by_role("button", name="Move the classroom to the left sidebar").click()
    page.wait_for_selector(f'{PANEL}[data-placement="left"]')


def test_zoom_and_follow_from_the_keyboard(person) -> None:
    page = person()
    joined(page, 1)
    node = page.locator(MAP)
    page.focus(MAP)
    assert node.get_attribute("data-zoom") == "1"
    assert node.get_attribute("data-follow") == "true"

    # + zooms in: the map is larger than its space, which the canvas fills.
    fit = view(page)[2]
    for _ in range(3):
        press(page, "+")
    assert node.get_attribute("data-zoom") == "3"
    wait_until(
        lambda: abs(view(page)[2] - 3 * fit) < 1e-3, what="the map drawn three times as large"
    )
    assert box(page, f"{MAP} canvas")["width"] >= box(page, MAP)["width"] - 3

    def centred() -> bool:
        ox, oy, scale = view(page)
        canvas = box(page, f"{MAP} canvas")
        x, y = my_position(page)
        cx, cy = (x - ox) * scale, (y - oy) * scale
        # Centred, unless the map's edge stops the view.
        return (
            abs(cx - canvas["width"] / 2) < 3 or ox <= 0.5 or ox + canvas["width"] / scale >= 1597
        ) and (
            abs(cy - canvas["height"] / 2) < 3 or oy <= 0.5 or oy + canvas["height"] / scale >= 957
        )

    # Walking with the arrows still works when zoomed, and the view follows.
    start = view(page)
    hold_key(page, "ArrowLeft", 0.8)
    wait_until(centred, what="the view to follow us")
    assert view(page)[0] < start[0] - 50, "the view moved left with us"

    # F stops following: walking no longer moves the view.
    press(page, "f")
    assert node.get_attribute("data-follow") == "false"
    still = view(page)
    hold_key(page, "ArrowRight", 0.5)
    assert view(page)[:2] == still[:2]
    press(page, "f")
    assert node.get_attribute("data-follow") == "true"
    wait_until(centred, what="following again")

    # - and 0 zoom out; the whole map again.
    press(page, "-")
    assert node.get_attribute("data-zoom") == "2"
    press(page, "0")
    assert node.get_attribute("data-zoom") == "1"

    # The buttons are the same, labelled, reached with Tab from the map.
    page.focus(MAP)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Zoom in (+)"
    page.keyboard.press("Enter")
    assert node.get_attribute("data-zoom") == "1.5"
    follow = page.get_by_role("button", name="Follow me (F)")
    assert follow.get_attribute("aria-pressed") == "true"
    follow.focus()
    page.keyboard.press("Space")
    assert follow.get_attribute("aria-pressed") == "false"
    page.get_by_role("button", name="Show the whole map (0)").click()
    assert node.get_attribute("data-zoom") == "1"
    # The live region says what the keys did.
    assert page.locator(f"{MAP} [aria-live]").inner_text() == "The whole map is shown."


def test_a_camera_is_drawn_in_its_avatars_bubble(person) -> None:
    page = person()
    joined(page, 1)
    page.focus(MAP)
    for _ in range(4):
        press(page, "+")  # large enough to sample inside the bubble
    x, y = my_position(page)
    me = page.evaluate(f"() => ({{...{ROOM}.model.me, r: {ROOM}.model.config.avatar_radius}})")
    ours = tuple(int(me["color"][i : i + 2], 16) for i in (1, 3, 5))

    def bubble() -> tuple[int, int, int]:
        """The colour inside our bubble, below its initials (as the map sizes it)."""
        scale = view(page)[2]
        return pixel(page, x, y + 0.6 * max(me["r"], 9 / scale))

    def our_colour() -> bool:
        return max(abs(a - b) for a, b in zip(bubble(), ours, strict=True)) < 8

    def green() -> bool:
        c = bubble()
        return c[1] > 100 and c[1] > c[0] + 50 and c[1] > c[2] + 50

    # Our colour and initials; then Chromium's fake camera, a green picture;
    # then our colour again.
    wait_until(our_colour, what=f"our bubble in our colour {me['color']}")
    page.get_by_role("button", name="Start camera").click()
    wait_until(green, timeout=15, what="our camera in our bubble")
    page.get_by_role("button", name="Stop camera").click()
    wait_until(our_colour, timeout=10, what="our bubble without the camera")
