"""The classroom's keyboard shortcuts take no keys that JupyterLab uses.

Read from the schemas of the JupyterLab that is installed (every core
extension's ``jupyter.lab.shortcuts``); the browser test
``tests/browser/test_layout.py`` checks the running application as well.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SCHEMA = Path(__file__).resolve().parent.parent / "labextension" / "schema" / "plugin.json"
COMMANDS = {
    "classroom:open",
    "classroom:focus-map",
    "classroom:toggle-microphone",
    "classroom:toggle-camera",
    "classroom:toggle-screen",
}
MODIFIERS = ("Accel", "Alt", "Cmd", "Ctrl", "Shift")


def normalize(keys: list[str], accel: str) -> tuple[str, ...]:
    """A key sequence as Lumino matches it, with Accel read as ``accel``."""
    out = []
    for stroke in keys:
        parts = stroke.split()
        mods = sorted({accel if p == "Accel" else p for p in parts if p in MODIFIERS})
        key = [p for p in parts if p not in MODIFIERS]
        out.append(" ".join([*mods, *key]))
    return tuple(out)


def jupyterlab_shortcuts() -> list[dict]:
    from jupyterlab.commands import get_app_dir

    schemas = Path(get_app_dir()) / "schemas"
    shortcuts = []
    for path in schemas.rglob("*.json"):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue
        if isinstance(data, dict):
            shortcuts += [
                s for s in data.get("jupyter.lab.shortcuts") or [] if not s.get("disabled")
            ]
    return shortcuts


def ours() -> list[dict]:
    return json.loads(SCHEMA.read_text())["jupyter.lab.shortcuts"]


def test_every_classroom_shortcut_is_declared_in_the_schema() -> None:
    declared = ours()
    assert {s["command"] for s in declared} == COMMANDS
    for s in declared:
        assert s["selector"] == "body"
        assert s["keys"] and all(k.strip() for k in s["keys"])


@pytest.mark.parametrize("accel", ["Ctrl", "Cmd"])
def test_no_classroom_shortcut_is_taken_by_jupyterlab(accel: str) -> None:
    theirs = jupyterlab_shortcuts()
    assert len(theirs) > 100, "the installed JupyterLab's shortcuts were not found"
    taken: dict[tuple[str, ...], list[str]] = {}
    for s in theirs:
        keys = normalize(s["keys"], accel)
        if keys and all(keys):  # some entries are placeholders without keys
            taken.setdefault(keys, []).append(s["command"])
    for s in ours():
        keys = normalize(s["keys"], accel)
        assert keys not in taken, f"{s['command']} {keys} is JupyterLab's {taken[keys]}"
        # Nor the first stroke of one of JupyterLab's chords, nor a chord of theirs as ours.
        for their_keys, commands in taken.items():
            assert their_keys[: len(keys)] != keys, f"{s['command']} starts {commands}"
            assert keys[: len(their_keys)] != their_keys, f"{s['command']} is after {commands}"


def test_the_check_sees_a_real_collision() -> None:
    """Accel Shift K, which the classroom once used, is JupyterLab's table of
    contents (and deletes a line in editors): the check must see that."""
    assert not any(s["keys"] == ["Accel Shift K"] for s in ours())
    theirs = {normalize(s["keys"], "Ctrl") for s in jupyterlab_shortcuts()}
    assert normalize(["Accel Shift K"], "Ctrl") in theirs
