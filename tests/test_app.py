"""The extension app: configuration, roles and a bad map at startup."""

from __future__ import annotations

import getpass
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import tornado.httpclient

from jupyter_classroom.app import DEFAULT_MAP, ClassroomApp, host_gives_name, load_map
from jupyter_classroom.classroom import MapError
from jupyter_classroom.server import memory

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def bad_map(tmp_path: Path) -> Path:
    data = json.loads(DEFAULT_MAP.read_text())
    data["layers"] = [layer for layer in data["layers"] if layer["name"] != "spawn"]
    path = tmp_path / "no-spawn.json"
    path.write_text(json.dumps(data))
    return path


def test_the_packaged_map_loads() -> None:
    assert load_map(DEFAULT_MAP).name == "Classroom"


def test_map_problems_name_the_file(tmp_path: Path, bad_map: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(MapError, match=f"cannot read the classroom map {missing}"):
        load_map(missing)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(MapError, match=f"the classroom map {broken} is not valid JSON"):
        load_map(broken)
    with pytest.raises(MapError, match=f"the classroom map {bad_map} cannot be used: .*spawn"):
        load_map(bad_map)


def test_a_bad_map_fails_loading_with_an_error_naming_file_and_problem(
    tmp_path: Path,
    bad_map: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = ClassroomApp(map_path=str(bad_map), chat_db_path=str(tmp_path / "chat.sqlite"))
    monkeypatch.setattr(
        app.log, "propagate", True
    )  # it logs to stderr of its own; let caplog see it
    with pytest.raises(MapError):
        app.initialize_settings()
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert str(bad_map) in record.getMessage()
    assert "no object layer named 'spawn'" in record.getMessage()


def test_roles(monkeypatch: pytest.MonkeyPatch) -> None:
    app = ClassroomApp(instructors=["prof"])
    monkeypatch.setattr(getpass, "getuser", lambda: "runner")
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    assert app.role_of("prof") == "instructor"
    assert app.role_of("runner") == "instructor"  # the server's owner
    assert app.role_of("student1") == "student"
    # On JupyterHub the owner is the hub's user, not the process's.
    monkeypatch.setenv("JUPYTERHUB_USER", "owner")
    assert app.role_of("owner") == "instructor"
    assert app.role_of("runner") == "student"
    app.owner_is_instructor = False
    assert app.role_of("owner") == "student"
    assert app.role_of("prof") == "instructor"


@pytest.fixture
def jp_server_config(tmp_path: Path, bad_map: Path):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_classroom": True}},
        "ClassroomApp": {"chat_db_path": str(tmp_path / "chat.sqlite"), "map_path": str(bad_map)},
    }


async def test_a_bad_map_is_reported_at_startup_and_the_server_runs_on(
    jp_serverapp, jp_fetch, jp_ws_fetch
) -> None:
    # The notebooks still work; the classroom is simply not there.
    assert (await jp_fetch("api", "status")).code == 200
    with pytest.raises(tornado.httpclient.HTTPClientError) as e:
        await jp_ws_fetch("classroom", "ws")
    assert e.value.code == 404


def test_an_unchecked_aiortc_leaves_rooms_with_chat_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import aiortc

    monkeypatch.setattr(aiortc, "__version__", "9.9.9")
    app = ClassroomApp(chat_db_path=str(tmp_path / "chat.sqlite"))
    monkeypatch.setattr(app.log, "propagate", True)
    app.initialize_settings()
    assert app.service is not None
    assert app.service.sfu is None
    assert "needs aiortc 1.16.0 exactly" in caplog.text and "rooms have chat only" in caplog.text
    app.service.store.close()
    monkeypatch.setattr(aiortc, "__version__", "1.16.0")
    app = ClassroomApp(chat_db_path=str(tmp_path / "chat2.sqlite"))
    app.initialize_settings()
    assert app.service is not None
    assert app.service.sfu is not None
    app.service.store.close()


def test_who_the_host_names() -> None:
    from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider, User

    anonymous = User("0123abcd", "Anonymous Io", "Anonymous Io", "AI")
    # Jupyter's own providers make up placeholders: people choose their names.
    assert not host_gives_name(anonymous, PasswordIdentityProvider())
    assert not host_gives_name(anonymous, IdentityProvider())
    # A name set through PATCH /api/me is the host's word.
    assert host_gives_name(User("0123abcd", "Ada", "Ada"), PasswordIdentityProvider())
    # Any other provider (JupyterHub's, a configured one) knows people.

    class HubUsers(IdentityProvider):
        pass

    assert host_gives_name(anonymous, HubUsers())
    app = ClassroomApp()
    app.chosen_names = "always"
    assert not app.named_by_host(User("ada", "Ada", "Ada"))
    app.chosen_names = "never"
    assert app.named_by_host(anonymous)


def test_garbage_collection_is_tuned_once(tmp_path: Path) -> None:
    # In a process of its own: freezing is for the whole process.
    script = (
        "import gc\n"
        "from jupyter_classroom.server.memory import tune_garbage_collection\n"
        "alive = [object() for _ in range(3)] + [[] for _ in range(1000)]\n"
        "tune_garbage_collection()\n"
        "first = gc.get_freeze_count()\n"
        "later = [[] for _ in range(1000)]\n"
        "tune_garbage_collection()\n"
        "print(first, gc.get_freeze_count(), gc.get_threshold()[2])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    first, second, full_every = map(int, out.stdout.split())
    assert first > 1000
    assert second == first  # the second host's objects are collected as usual
    assert full_every == 1 << 30  # Python no longer starts full collections itself


def test_a_full_collection_waits_for_a_quiet_moment(tmp_path: Path) -> None:
    # In a process of its own: the collector's settings are the whole process's.
    script = (
        "import gc, weakref\n"
        "from jupyter_classroom.server import memory\n"
        "memory.tune_garbage_collection()\n"
        "now = [0.0]\n"
        "full = memory.FullCollections(lambda: now[0])\n"
        "class Node: pass\n"
        "def old_garbage():\n"
        "    a = Node(); a.me = a\n"
        "    gc.collect(1); gc.collect(1)  # in the oldest generation\n"
        "    return weakref.ref(a)\n"
        "out = []\n"
        "gone = old_garbage()\n"
        "out.append(full.step(quiet_for=5.0))  # not due yet\n"
        "for _ in range(memory.FULL_EVERY): gc.collect(1)\n"
        "out.append(gone() is None)  # the young collections leave it\n"
        "out.append(full.step(quiet_for=0.2))  # due, but the class is busy\n"
        "out.append(gone() is None)\n"
        "out.append(full.step(quiet_for=1.5))  # a quiet moment\n"
        "out.append(gone() is None)\n"
        "gone = old_garbage()\n"
        "for _ in range(memory.FULL_EVERY): gc.collect(1)\n"
        "out.append(full.step(quiet_for=0.0))  # due and busy: it waits\n"
        "now[0] += memory.LONGEST_WAIT - 1\n"
        "out.append(full.step(quiet_for=0.0))\n"
        "now[0] += 1\n"
        "out.append(full.step(quiet_for=0.0))  # it waited long enough\n"
        "out.append(gone() is None)\n"
        "print(' '.join(str(v) for v in out), full.runs)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.split() == (
        ["False", "False", "False", "False", "True", "True", "False", "False", "True", "True", "2"]
    )


def test_the_collector_runs_on_its_own_and_hands_back_to_python_when_stopped(
    tmp_path: Path,
) -> None:
    # As the server extension and the hub's service start it, in a process of its own.
    script = (
        "import asyncio, gc, weakref\n"
        "from jupyter_classroom.server import memory\n"
        "class Node: pass\n"
        "async def main():\n"
        "    ticker = memory.collect_when_quiet(lambda: 5.0)\n"
        "    again = memory.collect_when_quiet(lambda: 5.0)  # a second host\n"
        "    a = Node(); a.me = a\n"
        "    gc.collect(1); gc.collect(1)\n"
        "    gone = weakref.ref(a); del a\n"
        "    for _ in range(memory.FULL_EVERY): gc.collect(1)\n"
        "    before = gone() is None\n"
        "    for _ in range(30):\n"
        "        await asyncio.sleep(0.1)\n"
        "        if gone() is None: break\n"
        "    after = gone() is None\n"
        "    running = gc.get_threshold()[2]\n"
        "    await memory.stop_collecting(ticker)\n"
        "    await memory.stop_collecting(again)\n"
        "    print(again is None, before, after, running, gc.get_threshold()[2])\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.split() == ["True", "False", "True", str(1 << 30), "100"]


def test_memory_goes_back_to_the_system_once_per_quiet_spell() -> None:
    calls: list[int] = []

    def record(pad: int) -> int:
        calls.append(pad)
        return 1

    trim = memory.ReturnToSystem(record)
    assert not trim.step(quiet_for=memory.TRIM_QUIET - 0.1)  # still busy
    assert trim.step(quiet_for=memory.TRIM_QUIET)
    assert not trim.step(quiet_for=memory.TRIM_QUIET + 60)  # once a quiet spell
    assert not trim.step(quiet_for=0.2)  # the class moves again
    assert trim.step(quiet_for=memory.TRIM_QUIET + 1)
    assert calls == [0, 0] and trim.runs == 2


def test_freed_memory_really_leaves_the_process(tmp_path: Path) -> None:
    """What a burst allocated and freed (every other block kept, as a
    class's connections leave holes) is returned by the trim: the RSS falls."""
    if memory._malloc_trim() is None:
        pytest.skip("no glibc malloc_trim here")
    script = (
        "from jupyter_classroom.server import memory\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS:'): return int(line.split()[1]) // 1024\n"
        "blocks = [bytes(2048) for _ in range(60_000)]\n"
        "kept = blocks[::50]\n"
        "del blocks\n"
        "before = rss()\n"
        "memory.ReturnToSystem().step(quiet_for=memory.TRIM_QUIET)\n"
        "print(before, rss())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    before, after = map(int, out.stdout.split())
    assert before - after > 60, (before, after)  # of the ~120 MB freed
