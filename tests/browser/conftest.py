"""Browser tests: a real ``jupyter lab`` with the extension, driven through
Debian's Chromium by Playwright.

Each :func:`person` is a separate browser context, so each gets its own Jupyter
login cookie and therefore its own identity (the server's token gives every
new browser an anonymous user with a name of its own, as on a shared server).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CLASSROOM_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LabServer:
    """A ``jupyter lab`` subprocess on 127.0.0.1 with the classroom enabled."""

    def __init__(self, root: Path, **classroom_config: object) -> None:
        self.root = root
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.chat_db = root / "chat.sqlite"
        self.log_path = root / "jupyter.log"
        self.classroom_config = {"reconnect_grace": 2, **classroom_config}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        work = self.root / "notebooks"
        work.mkdir(exist_ok=True)
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.root / "config"),
            JUPYTER_RUNTIME_DIR=str(self.root / "runtime"),
            JUPYTER_PLATFORM_DIRS="1",
        )
        args = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            f"--ServerApp.token={self.token}",
            f"--ServerApp.root_dir={work}",
            "--ServerApp.jpserver_extensions={'jupyter_classroom': True}",
            f"--ClassroomApp.chat_db_path={self.chat_db}",
        ]
        args += [f"--ClassroomApp.{k}={v}" for k, v in self.classroom_config.items()]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, cwd=work, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}api/status?token={self.token}", timeout=2):
                    return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"jupyter lab did not start in time:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "_log", None):
            self._log.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    server = LabServer(tmp_path_factory.mktemp("lab"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/test.sh installs Debian's chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def open_lab(page: object, lab: LabServer, path: str = "lab") -> None:
    """Log in with the token (which sets this context's cookie) and wait for JupyterLab."""
    page.goto(f"{lab.url}{path}?token={lab.token}")  # type: ignore[attr-defined]
    page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)  # type: ignore[attr-defined]


def open_classroom(page: object) -> None:
    """Reveal the Classroom panel from its left sidebar tab."""
    page.click('.jp-SideBar [data-id="jp-classroom-panel"]')  # type: ignore[attr-defined]
    page.wait_for_selector("#jp-classroom-panel", state="visible")  # type: ignore[attr-defined]


@pytest.fixture
def person(browser: object, lab: LabServer) -> Iterator[Callable[..., object]]:
    """Factory: a new person (browser context) with JupyterLab and the classroom open."""
    contexts = []

    def make(open_panel: bool = True) -> object:
        context = browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": 1400, "height": 900},
            permissions=["microphone", "camera"],
        )
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and print("browser:", m.text))
        open_lab(page, lab)
        if open_panel:
            open_classroom(page)
        return page

    yield make
    for context in contexts:
        context.close()
