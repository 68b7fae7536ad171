"""Who people are: names and colours, checked where they enter.

Names and colours reach the classroom from two places: the host's identity
(Jupyter's identity provider, which lets a user change their own record with
``PATCH /api/me``) and what a client states for itself when the host gives no
name. Both pass through here before anyone else sees them:

- a name is put in Unicode NFC, loses control and format characters (bidi
  overrides, zero-width spaces; the joiners some scripts need are kept), has
  its runs of whitespace (and of characters that draw nothing, such as the
  Hangul fillers) made one space and is trimmed; runs of combining
  marks are cut short; it must hold a letter, digit or symbol, and is at most
  :data:`MAX_NAME_LENGTH` characters. The host's names are cut to fit (they
  cannot be refused); a client's are refused with ``bad_name``.
- a colour is ``#rrggbb`` and nothing else; the host's other values are
  replaced by a colour derived from the username, a client's are refused with
  ``bad_color``.
- two people present at once never show the same name: the later one gets a
  number, ``Ada (2)``, compared after NFKC and case folding so that
  ``ＡＤＡ`` or ``ada`` with a zero-width joiner are the same name
  (:func:`name_key`).
- nor the same initials, nor (while the palette lasts) the same derived
  colour: the later one gets other letters of their name
  (:func:`initials_choices`) and the next free colour (:func:`distinct_colour`).
  A placeholder name such as Jupyter's "Anonymous Kore" is known by its
  distinct word, "Kore" (:func:`distinct_word`), so two anonymous people are
  "KO" and "KA", not both "AK".
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass

from .. import protocol
from ..protocol import ErrorCode
from ..protocol import ProtocolError as ClassroomError

#: Characters in a name (after cleaning; the number a twin gets comes on top).
MAX_NAME_LENGTH = 40
#: Characters of initials drawn on an avatar.
MAX_INITIALS = 3
#: Combining marks kept after one base character (enough for any script,
#: too few to pile marks over the lines above and below).
MAX_COMBINING = 3
MAX_AVATAR_URL = 2048

# Readable on both light and dark backgrounds.
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#e377c2",
    "#8c564b",
    "#17becf",
    "#bcbd22",
    "#ff7f0e",
    "#3949ab",
    "#00897b",
    "#c2185b",
)

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# Zero-width non-joiner and joiner: format characters that Persian, the
# Indic scripts and emoji sequences need.
_JOINERS = "\u200c\u200d"
# Control, format, surrogate, private use, line and paragraph separators.
_DROPPED = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
# Letters and symbols that draw nothing (Hangul fillers, the blank Braille
# pattern): read as spaces, so nobody is named with nothing visible.
_BLANK = "\u115f\u1160\u3164\uffa0\u2800"


@dataclass(frozen=True)
class Identity:
    """Who a participant is, as the host authenticated them.

    ``named_by_host``: the host gave a real name (JupyterHub, a configured
    identity provider), which wins over any name the client states; False
    when the host's name is a placeholder such as Jupyter's "Anonymous Io".
    Build one from the host's values with :meth:`from_host`, which cleans
    them.
    """

    username: str
    name: str
    initials: str = ""
    color: str | None = None
    avatar_url: str | None = None
    role: protocol.Role = "student"
    named_by_host: bool = True
    #: A simulated classmate the server runs (``jupyter_classroom.demo``),
    #: marked as such to everyone and left out of rosters.
    demo: bool = False
    #: Admitted by a classroom-only invitation, not a user of the host.
    guest: bool = False

    @classmethod
    def from_host(
        cls,
        username: str,
        name: str | None,
        initials: str | None = None,
        color: str | None = None,
        avatar_url: str | None = None,
        role: protocol.Role = "student",
        named_by_host: bool = True,
    ) -> Identity:
        """An identity from the host's record, every field cleaned: the host
        is trusted to say who someone is, not what the others' screens show."""
        clean = host_name(name or "", fallback=username)
        return cls(
            username=username,
            name=clean,
            initials=clean_initials(initials or "") or initials_of(clean),
            color=clean_colour(color) or colour_of(username),
            avatar_url=clean_avatar_url(avatar_url),
            role=role,
            named_by_host=named_by_host,
        )


def _cleaned(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw)
    out: list[str] = []
    marks = 0
    for ch in text:
        category = unicodedata.category(ch)
        if category in _DROPPED and ch not in _JOINERS:
            # A dropped line break or tab still separates words.
            if category in ("Cc", "Zl", "Zp"):
                out.append(" ")
            continue
        if category in ("Mn", "Me"):
            marks += 1
            if marks > MAX_COMBINING:
                continue
        else:
            marks = 0
        out.append(" " if ch.isspace() or ch in _BLANK else ch)
    # Dropping a character can bring a base and its marks together again.
    return unicodedata.normalize("NFC", " ".join("".join(out).split()))


def _meaningful(name: str) -> bool:
    """Whether a name holds something to read: a letter, digit or symbol."""
    return any(unicodedata.category(ch)[0] in "LNS" for ch in name)


def host_name(raw: str, fallback: str) -> str:
    """The host's name for someone, cleaned and cut to fit (never refused:
    the ``fallback``, the username, stands in for a name with nothing in it)."""
    name = _cleaned(raw)[:MAX_NAME_LENGTH].rstrip()
    if _meaningful(name):
        return name
    fallback = _cleaned(fallback)[:MAX_NAME_LENGTH].rstrip()
    return fallback if _meaningful(fallback) else "?"


def check_name(raw: str) -> str:
    """A name a client chose, cleaned; refused (``bad_name``) when nothing
    readable is left or it is too long."""
    name = _cleaned(raw)
    if not _meaningful(name):
        raise ClassroomError(ErrorCode.BAD_NAME, "A name needs at least one letter or digit.")
    if len(name) > MAX_NAME_LENGTH:
        raise ClassroomError(
            ErrorCode.BAD_NAME, f"Names are limited to {MAX_NAME_LENGTH} characters."
        )
    return name


def clean_initials(raw: str) -> str:
    return "".join(ch for ch in _cleaned(raw) if not ch.isspace())[:MAX_INITIALS]


def clean_colour(raw: object) -> str | None:
    """``#rrggbb`` in lower case, or None for anything else (names, ``rgb()``,
    ``url(...)``, CSS variables)."""
    if isinstance(raw, str) and _COLOUR.fullmatch(raw):
        return raw.lower()
    return None


def check_colour(raw: str) -> str:
    """A colour a client chose; refused (``bad_color``) unless ``#rrggbb``."""
    colour = clean_colour(raw)
    if colour is None:
        raise ClassroomError(
            ErrorCode.BAD_COLOR, "A colour must be written #rrggbb, for example #1f77b4."
        )
    return colour


def clean_avatar_url(raw: str | None) -> str | None:
    """An avatar picture's address, passed on to everyone's browser: a path
    on the classroom's own server only, of a sane length. An outside address
    (``http://elsewhere/a.png``, which a user can set in Jupyter's
    ``/api/me``) would make every classmate's browser fetch it, telling
    that server who is in the class and when."""
    if not raw or len(raw) > MAX_AVATAR_URL:
        return None
    if not re.match(r"/(?![/\\])[^\s\"'<>\\]*\Z", raw):
        return None
    return raw


@functools.lru_cache(maxsize=4096)
def initials_of(name: str) -> str:
    words = [w for w in name.replace("_", " ").split() if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


_PLACEHOLDER = re.compile(r"Anonymous\s+(\S.*)")


def distinct_word(name: str) -> str:
    """What tells a placeholder name apart: "Kore" for Jupyter's "Anonymous
    Kore"; any other name whole."""
    m = _PLACEHOLDER.fullmatch(name)
    return m.group(1) if m else name


def initials_choices(name: str, given: str = "") -> Iterator[str]:
    """Initials for ``name``, best first: ``given`` (the host's), the usual
    ones of its distinct word, then other letters of it (``KO``, ``KR``,
    ``KE`` for "Kore"; ``AL``, ``ALO``, ``ALV`` for "Ada Lovelace"), then
    numbered ones (``KO2``), without end."""
    if given:
        yield given
    words = [w for w in distinct_word(name).replace("_", " ").split() if w]
    usual = initials_of(" ".join(words))
    yield usual
    if words:
        first, last = words[0], words[-1]
        if len(words) == 1:
            for ch in first[2:]:
                yield (first[0] + ch).upper()[:MAX_INITIALS]
        else:
            for ch in last[1:]:
                yield (first[0] + last[0] + ch).upper()[:MAX_INITIALS]
    n = 2
    while True:
        yield f"{usual[: MAX_INITIALS - len(str(n))]}{n}"
        n += 1


def distinct_colour(preferred: str, derived: bool, used: Mapping[str, int]) -> str:
    """``preferred``, unless it was derived from the username (nobody chose
    it) and someone present shows it already: then the palette's next colour
    nobody shows, or, with every colour shown, the least shown one."""
    if not derived or not used.get(preferred):
        return preferred
    start = PALETTE.index(preferred) if preferred in PALETTE else 0
    ring = [PALETTE[(start + i) % len(PALETTE)] for i in range(len(PALETTE))]
    return min(ring, key=lambda c: used.get(c, 0))


@functools.lru_cache(maxsize=4096)
def colour_of(username: str) -> str:
    digest = hashlib.sha256(username.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def name_key(name: str) -> str:
    """What two names must differ in to be told apart by people: case,
    width and compatibility forms, joiners and spacing do not count."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in _JOINERS)


def distinct_name(name: str, taken: Iterable[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``... whichever is not taken.

    ``taken`` is either the names in use (an iterable) or a container of their
    :func:`name_key` (a set or dict kept up to date by the caller, so that
    naming someone does not look at everyone)."""
    keys: Container[str] = (
        taken if isinstance(taken, (set, frozenset, dict)) else {name_key(t) for t in taken}
    )
    candidate, n = name, 1
    while name_key(candidate) in keys:
        n += 1
        candidate = f"{name} ({n})"
    return candidate
