"""The pages an invitation link shows: the form that admits a guest, and
the refusals. Self-contained HTML (no script, no outside address: a page
anyone may open fetches nothing but itself), in JupyterLab's plain look,
following the reader's light or dark preference."""

from __future__ import annotations

import html
import time

from ..classroom.identity import MAX_NAME_LENGTH, PALETTE
from ..protocol import ErrorCode

#: What each colour of the palette is called on the form.
COLOUR_NAMES = (
    "Blue",
    "Red",
    "Green",
    "Purple",
    "Pink",
    "Brown",
    "Cyan",
    "Olive",
    "Orange",
    "Indigo",
    "Teal",
    "Raspberry",
)

#: The page's own policy: no script, nothing fetched, the form posted here only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

_STYLE = """
:root { color-scheme: light dark; --fg: #212121; --bg: #fff; --muted: #616161;
  --line: #bdbdbd; --accent: #1976d2; --error: #d32f2f; }
@media (prefers-color-scheme: dark) { :root { --fg: #e0e0e0; --bg: #111;
  --muted: #bdbdbd; --line: #616161; --accent: #64b5f6; --error: #ef9a9a; } }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 32rem; margin: 3rem auto; padding: 0 1rem; }
h1 { font-size: 1.4rem; font-weight: 600; margin: 0 0 .5rem; }
p { margin: .5rem 0; }
.muted { color: var(--muted); }
label.field { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
input[type=text] { box-sizing: border-box; width: 100%; padding: .4rem .5rem; font: inherit;
  color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 2px; }
input[type=text]:focus, button:focus-visible, .swatch input:focus-visible + span {
  outline: 2px solid var(--accent); outline-offset: 1px; }
fieldset { border: 0; padding: 0; margin: 1rem 0; }
legend { font-weight: 600; padding: 0; margin-bottom: .25rem; }
.swatches { display: flex; flex-wrap: wrap; gap: .25rem .75rem; }
.swatch { display: inline-flex; align-items: center; gap: .3rem; cursor: pointer; }
.swatch span { display: inline-block; width: 1rem; height: 1rem; border-radius: 50%; }
button { margin-top: .5rem; padding: .4rem 1.2rem; font: inherit; font-weight: 600; color: #fff;
  background: var(--accent); border: 0; border-radius: 2px; cursor: pointer; }
.error { color: var(--error); font-weight: 600; }
code { font-size: .9em; }
"""

#: Headings of the refusals, by code.
_TITLES = {
    ErrorCode.INVITATION_INVALID: "This invitation link does not work",
    ErrorCode.INVITATION_EXPIRED: "This invitation has expired",
    ErrorCode.INVITATION_REVOKED: "This invitation was revoked",
    ErrorCode.INVITATION_FULL: "This invitation is full",
    ErrorCode.TOO_MANY_ATTEMPTS: "Too many attempts",
}


def _page(title: str, body: str, code: str = "") -> str:
    data = f' data-code="{html.escape(code)}"' if code else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="same-origin">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main{data}>{body}</main></body></html>"
    )


def refusal_page(code: ErrorCode | str, message: str) -> str:
    """The page for a link or pass that opens nothing, with its stable code."""
    value = code.value if isinstance(code, ErrorCode) else code
    title = next((t for c, t in _TITLES.items() if c.value == value), "This link does not work")
    body = (
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        "<p class=muted>Ask whoever sent it for a new invitation.</p>"
        f"<p class=muted>Code: <code>{html.escape(value)}</code></p>"
    )
    return _page(title, body, value)


def join_page(
    classroom: str,
    role: str,
    expires: float,
    label: str | None,
    xsrf_form_html: str,
    name: str = "",
    color: str = PALETTE[0],
    error: tuple[str, str] | None = None,
) -> str:
    """The form that admits a guest: a name, a colour, Join. ``error``
    (code, sentence) says why the last try was refused."""
    whom = "a co-instructor" if role == "instructor" else "a student"
    until = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires))
    parts = [
        f"<h1>You are invited to {html.escape(classroom)}</h1>",
        f"<p>You join as {whom}.</p>",
    ]
    if label:
        parts.append(f'<p class=muted>"{html.escape(label)}"</p>')
    parts.append(
        "<p class=muted>This link opens the classroom only (its map, chat, audio and "
        f"video), under the name you type. It works until {until}.</p>"
    )
    described = ""
    if error is not None:
        code, sentence = error
        parts.append(
            f'<p id="join-error" class="error" role="alert" data-code="{html.escape(code)}">'
            f"{html.escape(sentence)}</p>"
        )
        described = ' aria-describedby="join-error" aria-invalid="true"'
    swatches = []
    chosen = color.lower() if color.lower() in PALETTE else PALETTE[0]
    for value, called in zip(PALETTE, COLOUR_NAMES, strict=True):
        checked = " checked" if value == chosen else ""
        swatches.append(
            f'<label class="swatch"><input type="radio" name="color" value="{value}"{checked}>'
            f'<span style="background:{value}" aria-hidden="true"></span>{called}</label>'
        )
    parts.append(
        '<form method="post" action="">'
        f"{xsrf_form_html}"
        '<label class="field" for="join-name">Your name</label>'
        f'<input type="text" id="join-name" name="name" required maxlength="{MAX_NAME_LENGTH}" '
        f'autocomplete="name" autofocus value="{html.escape(name)}"{described}>'
        "<fieldset><legend>Your colour</legend>"
        f'<div class="swatches">{"".join(swatches)}</div></fieldset>'
        '<button type="submit">Join</button></form>'
    )
    return _page(f"Join {classroom}", "".join(parts))
