"""The invitation desk without a server: signatures, the guess budget, the
secret's file, and invitations and guests kept across a restart."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from jupyter_classroom import protocol
from jupyter_classroom.classroom import ClassroomMap, Identity
from jupyter_classroom.protocol import ErrorCode, ProtocolError
from jupyter_classroom.server.invitations import Attempts, InvitationDesk, Refusal, load_secret
from jupyter_classroom.server.join_page import join_page, refusal_page
from jupyter_classroom.storage import InvitationStore

from .harness import FakeClock
from .test_session import Setup

ANN = Identity(username="ann", name="Ann", role="instructor")
BEN = Identity(username="ben", name="Ben", role="student")


def desk_at(path: Path, clock: FakeClock, secret: bytes = b"s" * 32) -> InvitationDesk:
    return InvitationDesk(
        InvitationStore(path / "chat.sqlite", clock=clock),
        secret,
        "/base/",
        clock=clock,
        attempts=Attempts(per_address=3, overall=5, window=60.0, block=300.0, clock=FakeClock()),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1.8e9)


@pytest.fixture
def desk(tmp_path: Path, clock: FakeClock) -> InvitationDesk:
    return desk_at(tmp_path, clock)


def token_of(info: protocol.InvitationInfo) -> str:
    return info.path.rsplit("/", 1)[1]


def test_a_link_admits_its_guests_and_a_tampered_one_nothing(desk: InvitationDesk) -> None:
    made = desk.create(ANN, "student", 3600, None, "  Tuesday\n lab ")
    assert made.path.startswith("/base/classroom/join/") and made.label == "Tuesday lab"
    invitation = desk.invitation_for(token_of(made), "10.0.0.1")
    guest_pass = desk.admit(invitation, "Zoé", "#2ca02c")
    found, guest = desk.guest_for(guest_pass, "10.0.0.1")
    assert found is invitation and guest.name == "Zoé"
    identity = desk.identity_of(found, guest)
    assert (
        identity.username == f"guest:{made.id}:1"
        and identity.guest
        and identity.avatar_url is None
    )
    invitation_id, expires, signature = token_of(made).split(".")
    # Another last character (one in 16 signatures ends with "A" already).
    other_last = "E" if signature.endswith("A") else "A"
    for forged in (
        f"{invitation_id}.{int(expires) + 3600}.{signature}",  # a later expiry
        f"{invitation_id}.{expires}.{signature[:-1]}{other_last}",
        f"{invitation_id}.{expires}",
        guest_pass,  # a pass is not a link
        "x" * 500,
    ):
        with pytest.raises(Refusal) as e:
            desk.invitation_for(forged, f"10.0.1.{len(forged) % 200}")
        assert e.value.code == ErrorCode.INVITATION_INVALID and e.value.status == 403
    with pytest.raises(Refusal):
        desk.guest_for(token_of(made), "10.0.2.1")  # a link is not a pass
    # Another server's secret signs other links.
    other = desk_at(Path(desk.store.path).parent / "other", FakeClock(1.8e9), secret=b"t" * 32)
    with pytest.raises(Refusal):
        other.invitation_for(token_of(made), "10.0.3.1")


def test_only_instructors_invite_and_within_bounds(desk: InvitationDesk) -> None:
    for call in (
        lambda: desk.create(BEN, "student", 3600, None, None),
        lambda: desk.revoke(BEN, "0123456789"),
    ):
        with pytest.raises(ProtocolError) as e:
            call()
        assert e.value.code == ErrorCode.FORBIDDEN
    for expires_in, guests in ((0.5, None), (8 * 86400.0, None), (60, 0), (60, 1001)):
        with pytest.raises(ProtocolError) as e:
            desk.create(ANN, "student", expires_in, guests, None)
        assert e.value.code == ErrorCode.BAD_INVITATION
    assert desk.create(ANN, "instructor", 60, None, None).max_guests == desk.default_guests


def test_expiry_revocation_and_the_cap_each_say_why(
    desk: InvitationDesk, clock: FakeClock
) -> None:
    capped = desk.create(ANN, "student", 3600, 1, None)
    invitation = desk.invitation_for(token_of(capped), "a")
    desk.admit(invitation, "One", "#1f77b4")
    with pytest.raises(Refusal) as e:
        desk.admit(invitation, "Two", "#1f77b4")
    assert (e.value.status, e.value.code) == (409, ErrorCode.INVITATION_FULL)

    revoked = desk.create(ANN, "student", 3600, None, None)
    guest_pass = desk.admit(desk.invitation_for(token_of(revoked), "a"), "Zoé", "#1f77b4")
    assert desk.revoke(ANN, revoked.id).revoked
    with pytest.raises(Refusal) as e:
        desk.invitation_for(token_of(revoked), "a")
    assert (e.value.status, e.value.code) == (403, ErrorCode.INVITATION_REVOKED)
    ended = desk.ended(desk.guest_for(guest_pass, "a")[0])
    assert ended is not None and ended.code == ErrorCode.INVITATION_REVOKED

    short = desk.create(ANN, "student", 60, None, None)
    clock.now += 61
    with pytest.raises(Refusal) as e:
        desk.invitation_for(token_of(short), "a")
    assert (e.value.status, e.value.code) == (410, ErrorCode.INVITATION_EXPIRED)
    assert [i.id for i in desk.current()] == [capped.id]


def test_guesses_beyond_the_budget_are_refused_for_a_while() -> None:
    clock = FakeClock()
    attempts = Attempts(per_address=3, overall=5, window=60.0, block=300.0, clock=clock)
    for _ in range(3):
        attempts.failed("a")
    assert not attempts.blocked("a")
    attempts.failed("a")
    assert attempts.blocked("a") and not attempts.blocked("b")
    clock.advance(301)
    assert not attempts.blocked("a")
    # Slow guessing (fewer than the budget within a window) is never blocked.
    for _ in range(10):
        clock.advance(30)
        attempts.failed("c")
    assert not attempts.blocked("c")
    # From many addresses at once: the overall budget.
    for n in range(6):
        attempts.failed(f"10.0.0.{n}")
    assert attempts.swamped() and not attempts.blocked("10.0.0.9")
    clock.advance(301)
    assert not attempts.swamped()


def test_the_overall_budget_refuses_failures_not_good_links(desk: InvitationDesk) -> None:
    made = desk.create(ANN, "student", 3600, None, None)
    for n in range(6):
        with pytest.raises(Refusal):
            desk.invitation_for("bad", f"10.9.0.{n}")
    with pytest.raises(Refusal) as e:
        desk.invitation_for("bad", "10.9.1.1")
    assert e.value.status == 429 and e.value.code == ErrorCode.TOO_MANY_ATTEMPTS
    # A flood cannot lock the class out: a good link from a fresh address still opens.
    assert desk.invitation_for(token_of(made), "10.9.1.2").id == made.id


def test_many_addresses_are_remembered_within_a_bound() -> None:
    attempts = Attempts(per_address=3, overall=10**9, clock=FakeClock(), max_addresses=100)
    for n in range(1000):
        attempts.failed(f"10.{n // 256}.{n % 256}.1")
    assert len(attempts._failures) <= 100
    # Blocked addresses too: each past its block is forgotten to make room.
    clock = FakeClock()
    attempts = Attempts(per_address=1, overall=10**9, block=10.0, clock=clock, max_addresses=50)
    for n in range(500):
        clock.advance(1.0)
        attempts.failed(f"10.1.{n}.1")
        attempts.failed(f"10.1.{n}.1")
    assert len(attempts._blocked) <= 50 and attempts.blocked("10.1.499.1")


def test_the_secret_is_kept_private_and_the_same_across_starts(tmp_path: Path) -> None:
    path = tmp_path / "classroom" / "invitations.key"
    first = load_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) == 32
    path.chmod(0o644)
    assert load_secret(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(None) != load_secret(None)


def test_invitations_and_guests_survive_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    secret = load_secret(tmp_path / "invitations.key")
    desk = desk_at(tmp_path, clock, secret)
    made = desk.create(ANN, "instructor", 3600, 3, "Lab")
    guest_pass = desk.admit(desk.invitation_for(token_of(made), "a"), "Zoé", "#2ca02c")
    gone = desk.create(ANN, "student", 3600, None, None)
    desk.revoke(ANN, gone.id)
    desk.close()

    again = desk_at(tmp_path, clock, load_secret(tmp_path / "invitations.key"))
    invitation = again.invitation_for(token_of(made), "a")
    assert (invitation.role, invitation.max_guests, invitation.label) == ("instructor", 3, "Lab")
    found, guest = again.guest_for(guest_pass, "a")
    assert (guest.number, guest.name, guest.color) == (1, "Zoé", "#2ca02c")
    assert again.admit(invitation, "Bea", "#1f77b4") != guest_pass
    assert [i.id for i in again.current()] == [made.id]
    with pytest.raises(Refusal) as e:
        again.invitation_for(token_of(gone), "a")
    assert e.value.code == ErrorCode.INVITATION_REVOKED
    again.close()


@pytest.mark.asyncio
async def test_ending_an_invitation_ends_what_it_opened(
    desk: InvitationDesk, clock: FakeClock
) -> None:
    class Socket:
        def __init__(self) -> None:
            self.ended: tuple[int, str] | None = None

        def end(self, code: int, reason: str) -> None:
            self.ended = (code, reason)

    made = desk.create(ANN, "student", 3600, None, None)
    invitation = desk.invitation_for(token_of(made), "a")
    kept, left = Socket(), Socket()
    desk.hold(invitation, kept)
    desk.hold(invitation, left)
    desk.let_go(invitation.id, left)
    assert desk.info(invitation).online == 1
    desk.revoke(ANN, made.id)
    assert kept.ended == (protocol.CLOSE_INVITATION_ENDED, "invitation revoked")
    assert left.ended is None
    # At the expiry, on the event loop's timer (due at once: it is that time).
    soon = desk.invitation_for(token_of(desk.create(ANN, "student", 60, None, None)), "a")
    clock.now = soon.expires
    socket = Socket()
    desk.hold(soon, socket)
    for _ in range(3):
        await asyncio.sleep(0)
    assert socket.ended == (protocol.CLOSE_INVITATION_ENDED, "invitation expired")


def test_the_pages_escape_what_they_show() -> None:
    page = join_page("<Class>", "student", 1.8e9, "<b>lab</b>", "<input type=hidden>", "<x>")
    assert "&lt;Class&gt;" in page and "&lt;b&gt;lab&lt;/b&gt;" in page and "<x>" not in page
    assert "aria-describedby" not in page
    shown = join_page("C", "instructor", 1.8e9, None, "", error=("bad_name", "No <name>"))
    assert (
        "co-instructor" in shown and 'data-code="bad_name"' in shown and "No &lt;name&gt;" in shown
    )
    refused = refusal_page(ErrorCode.INVITATION_EXPIRED, "Gone.")
    assert "has expired" in refused and "<code>invitation_expired</code>" in refused


def test_a_host_without_invitations_says_so_and_the_connection_lives_on(
    tmp_path: Path, default_map: ClassroomMap
) -> None:
    """The hub's service makes no invitations: the hub decides who enters."""
    setup = Setup(tmp_path, default_map)
    try:
        conn, _ = setup.joined("Ann")
        conn.take()
        for n, message in enumerate(
            (
                {"type": "create_invitation"},
                {"type": "list_invitations"},
                {"type": "revoke_invitation", "invitation": "0123456789"},
            ),
            start=10,
        ):
            conn.send(**message, id=n)
            [error] = conn.take("error")
            assert (error["code"], error["id"]) == ("no_invitations", n)
        conn.send(type="ping", id=99)
        assert conn.take("pong")[0]["id"] == 99
    finally:
        setup.store.close()
