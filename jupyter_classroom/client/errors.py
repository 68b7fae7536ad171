"""What the notebook client raises."""

from __future__ import annotations


class ClassroomUnreachable(ConnectionError):
    """No classroom could be reached (no server found, or it did not answer)."""


class ClassroomRefused(Exception):
    """The classroom refused a command; ``code`` is the protocol's stable error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ClassroomForbidden(ClassroomRefused, PermissionError):
    """Only an instructor may do that."""
