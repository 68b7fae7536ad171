"""Invitations in real Chromium: the server's owner (an instructor) makes
a link in the Invite dialog with the keyboard and the form's labels; a guest
opens it in another browser, types a name, walks into the classroom on the
standalone page and can open nothing else on the server; Revoke ends the
link and puts the guest out, with a sentence that says why."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page

from ..harness import wait_until
from ..harness.pages import PANEL, People, entry_of, joined, my_id, my_name
from ..harness.servers import JupyterProcess


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterProcess]:
    # A token login is the owner, the instructor of a single server.
    server = JupyterProcess(tmp_path_factory.mktemp("invite"), owner_is_instructor=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def status_of(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_the_owner_invites_from_the_panel_and_revokes(person: People, lab: JupyterProcess) -> None:
    page = person()
    invite = page.locator(f"{PANEL} .jp-Classroom-inviteButton")
    invite.wait_for(state="visible", timeout=30_000)
    assert invite.get_attribute("aria-haspopup") == "dialog"
    invite.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Invite people").wait_for()
    dialog.get_by_label("Invite as").select_option("student")
    dialog.get_by_label("Link works for").select_option("3600")
    dialog.get_by_label("At most this many guests").fill("5")
    label = dialog.get_by_label("Label (optional)")
    label.fill("Browser lab")
    label.press("Enter")  # makes the link; the dialog stays open
    link = dialog.get_by_label("Link to send")
    wait_until(lambda: link.input_value(), what="the new link")
    url = link.input_value()
    assert url.startswith(f"{lab.url}classroom/join/")
    code, body = status_of(url)
    assert code == 200 and b"You are invited to" in body

    item = dialog.locator(".jp-Classroom-invitation")
    wait_until(lambda: item.count() == 1, what="the invitation listed")
    assert "Browser lab" in item.inner_text() and "0 of 5 guests" in item.inner_text()
    dialog.get_by_role("button", name="Revoke invitation Browser lab").click()
    dialog.get_by_text("No current invitations.").wait_for()
    assert "revoked" in dialog.get_by_role("status").inner_text()
    code, body = status_of(url)
    assert code == 403 and b'data-code="invitation_revoked"' in body
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")


def make_link(owner: Page, label: str) -> tuple[Locator, str]:
    """Open the Invite dialog and make a student's link: the dialog and the link."""
    owner.locator(f"{PANEL} .jp-Classroom-inviteButton").click()
    dialog = owner.get_by_role("dialog")
    dialog.get_by_label("Label (optional)").fill(label)
    dialog.get_by_role("button", name="Create link").click()
    link = dialog.get_by_label("Link to send")
    wait_until(lambda: link.input_value(), what="the new link")
    return dialog, link.input_value()


def test_a_guest_walks_in_by_the_link_and_is_put_out_when_it_is_revoked(
    person: People, lab: JupyterProcess
) -> None:
    owner = person()
    owner.locator(f"{PANEL} .jp-Classroom-inviteButton").wait_for(state="visible", timeout=30_000)
    dialog, url = make_link(owner, "Guests")

    guest = person.context(permissions=["microphone", "camera"]).new_page()
    guest.on("console", lambda m: print("guest:", m.text) if m.type == "error" else None)
    guest.goto(url)
    guest.get_by_role("heading", name=re.compile("You are invited to")).wait_for()
    guest.get_by_label("Your name").fill("Zoé Guest")
    guest.get_by_label("Teal").check()
    guest.get_by_role("button", name="Join").click()
    # The standalone page, the pass taken out of the address bar.
    guest.wait_for_url(f"{lab.url}classroom/page")
    joined(guest, 2)
    assert my_name(guest) == "Zoé Guest"
    entry_of(owner, my_id(guest)).wait_for()
    # The guest's browser opens nothing else on the server.
    for path in ("api/contents", "api/kernels", "api/terminals", "api/me"):
        assert guest.request.get(f"{lab.url}{path}").status == 403, path

    dialog.get_by_role("button", name="Revoke invitation Guests").click()
    status = guest.locator(f"{PANEL} .jp-Classroom-status")
    wait_until(lambda: "invitation was revoked" in status.inner_text(), what="the guest told why")
    entry_of(owner, my_id(owner)).wait_for()
    owner.locator(f'{PANEL} li.jp-Classroom-person[data-name="Zoé Guest"]').wait_for(
        state="detached"
    )
