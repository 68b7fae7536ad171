"""A real Jupyter server in a subprocess, for tests that restart it or drive
it from a browser."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import BinaryIO

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def terminate(proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """Stop a server process: SIGTERM, and SIGKILL if it is not gone in time."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class JupyterProcess:
    """``jupyter lab`` (or ``jupyter server``) on 127.0.0.1 with the classroom enabled."""

    def __init__(
        self,
        root: Path,
        app: str = "jupyterlab",
        server_args: tuple[str, ...] = (),
        identity_provider: str = "",
        **classroom_config: object,
    ) -> None:
        """``identity_provider``: the dotted name of the server's identity
        provider class, such as ``"tests.harness.clients.OwnerUsers"``."""
        self.root = root
        self.app = app
        self.server_args = tuple(server_args)
        if identity_provider:
            self.server_args += (f"--ServerApp.identity_provider_class={identity_provider}",)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.ws_url = f"ws://127.0.0.1:{self.port}/classroom/ws"
        self.chat_db = root / "chat.sqlite"
        self.log_path = root / "jupyter.log"
        # Jupyter's own token login makes everyone the owner, an instructor by
        # default: tests are among students unless they say otherwise.
        self.classroom_config = {
            "reconnect_grace": 2,
            "owner_is_instructor": False,
            **classroom_config,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None

    def start(self) -> None:
        work = self.root / "notebooks"
        work.mkdir(exist_ok=True)
        # JupyterLab asks once whether to fetch Jupyter's news, in a toast over
        # the classroom's corner: answered no (nothing is fetched either way).
        notification = (
            self.root / "config/lab/user-settings/@jupyterlab/apputils-extension"
        ) / "notification.jupyterlab-settings"
        if not notification.exists():
            notification.parent.mkdir(parents=True, exist_ok=True)
            notification.write_text('{"fetchNews": "false", "checkForUpdates": false}')
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.root / "config"),
            JUPYTER_RUNTIME_DIR=str(self.root / "runtime"),
            JUPYTER_PLATFORM_DIRS="1",
            # The package under test, whether or not it is installed.
            PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        )
        args = [
            sys.executable,
            "-m",
            self.app,
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--ServerApp.token={self.token}",
            f"--ServerApp.root_dir={work}",
            "--ServerApp.jpserver_extensions={'jupyter_classroom': True}",
            f"--ClassroomApp.chat_db_path={self.chat_db}",
        ]
        args += [f"--ClassroomApp.{k}={v}" for k, v in self.classroom_config.items()]
        args += self.server_args
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            args, cwd=work, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}api/status?token={self.token}", timeout=2):
                    return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"jupyter did not start in time:\n{self.log()}")

    def stop(self) -> None:
        terminate(self.proc, 20)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


def server_config(tmp_path: Path, **classroom_config: object) -> dict[str, dict[str, object]]:
    """pytest-jupyter's ``jp_server_config`` for a server with the classroom
    on, its chat in ``tmp_path``, ``?user=NAME`` naming people (see
    :class:`~tests.harness.clients.NamedUsers`) and these ClassroomApp settings."""
    from .clients import NamedUsers

    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_classroom": True},
            "identity_provider_class": NamedUsers,
        },
        "ClassroomApp": {"chat_db_path": str(tmp_path / "chat.sqlite"), **classroom_config},
    }


def classroom_service(serverapp):
    """The classroom service of an in-process Jupyter server."""
    (app,) = serverapp.extension_manager.extension_apps["jupyter_classroom"]
    return app.service
