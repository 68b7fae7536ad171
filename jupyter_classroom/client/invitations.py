"""Invitations as a notebook shows them: :class:`Invitation` (the full
link, and when it expires) and how people write an expiry (``"2h"``)."""

from __future__ import annotations

import datetime
import html
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", re.IGNORECASE)
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

COLUMNS = [
    "id",
    "link",
    "role",
    "expires",
    "guests",
    "max_guests",
    "online",
    "label",
    "created_by",
]


def seconds_of(expires: str | float | datetime.timedelta) -> float:
    """Seconds from an expiry as people write it: ``"2h"``, ``"90m"``,
    ``"1d"``, ``"1w"``, ``"30s"``, a number of seconds or a timedelta."""
    if isinstance(expires, datetime.timedelta):
        return expires.total_seconds()
    if isinstance(expires, bool):
        raise TypeError("expires is a duration such as '2h', not a bool")
    if isinstance(expires, (int, float)):
        return float(expires)
    match = _DURATION.fullmatch(expires)
    if match is None:
        raise ValueError(f"{expires!r} is not a duration such as '2h', '90m', '1d' or '1w'")
    return float(match.group(1)) * _UNIT[match.group(2).lower()]


def server_origin(socket_url: str) -> str:
    """``http(s)://host:port`` of the server whose classroom socket is ``socket_url``."""
    parts = urllib.parse.urlsplit(socket_url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Invitation:
    """An invitation to the classroom: ``link`` admits whoever opens it to
    the classroom only (not to the server), until ``expires``."""

    id: str
    link: str
    role: str
    expires: datetime.datetime
    guests: int
    max_guests: int
    online: int = 0
    label: str | None = None
    created_by: str = ""
    revoked: bool = False

    @classmethod
    def from_info(cls, info: dict[str, Any], origin: str) -> Invitation:
        """From the server's ``InvitationInfo`` (its ``path``) and the server's origin."""
        return cls(
            id=info["id"],
            link=origin + info["path"],
            role=info["role"],
            expires=datetime.datetime.fromtimestamp(info["expires"], datetime.timezone.utc),
            guests=info["guests"],
            max_guests=info["max_guests"],
            online=info.get("online", 0),
            label=info.get("label"),
            created_by=info.get("created_by", ""),
            revoked=bool(info.get("revoked")),
        )

    def record(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}

    def _summary(self) -> str:
        whom = "co-instructors" if self.role == "instructor" else "students"
        state = "revoked" if self.revoked else f"until {self.expires:%Y-%m-%d %H:%M} UTC"
        label = f" {self.label!r}," if self.label else ""
        return f"{whom},{label} {state}, {self.guests}/{self.max_guests} guests"

    def __str__(self) -> str:
        return self.link

    def __repr__(self) -> str:
        return f"<Invitation {self.id} ({self._summary()}): {self.link}>"

    def _repr_html_(self) -> str:
        link = html.escape(self.link)
        return (
            f'<div><a href="{link}" target="_blank" rel="noopener noreferrer">{link}</a>'
            f"<br><small>Invitation {html.escape(self.id)}: "
            f"{html.escape(self._summary())}</small></div>"
        )
