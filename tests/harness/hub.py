"""A real JupyterHub in a subprocess, configured with docs/hub.md's
``jupyterhub_config.py`` (the classroom as a hub service), for tests and
benchmarks.

The hub, its proxy (``configurable-http-proxy`` from npm), the classroom
service and the single-user servers (``SimpleLocalProcessSpawner``) all
listen on 127.0.0.1. People log in with ``DummyAuthenticator`` (one password
for everyone); a test-only service ``hub-admin`` holds an API token that
creates users, groups and tokens.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO

from .servers import REPO, free_port, terminate

PASSWORD = "classroom-test"
ACCESS_SCOPE = "access:services!service=classroom"
TEACH_SCOPE = "custom:classroom:teach"


def readme_hub_config() -> str:
    """The ``jupyterhub_config.py`` block of docs/hub.md, as an admin copies it."""
    text = (REPO / "docs" / "hub.md").read_text()
    match = re.search(r"```python\n(# jupyterhub_config\.py.*?)```", text, re.S)
    if match is None:
        raise AssertionError(
            "docs/hub.md has no ```python block starting '# jupyterhub_config.py'"
        )
    return match.group(1)


def proxy_command() -> str:
    found = shutil.which("configurable-http-proxy") or str(
        Path(sys.executable).parent / "configurable-http-proxy"
    )
    if not Path(found).exists():
        raise RuntimeError(
            "configurable-http-proxy is not installed (scripts/test.sh installs it from npm)"
        )
    return found


class HubProcess:
    """``jupyterhub`` on 127.0.0.1 with the classroom service."""

    def __init__(
        self,
        root: Path,
        groups: dict[str, list[str]] | None = None,
        classrooms: dict[str, Any] | None = None,
        service_args: list[str] | None = None,
        service_env: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.service_url = f"{self.url}services/classroom/"
        self.ws_base = f"ws://127.0.0.1:{self.port}/services/classroom/"
        self.admin_token = secrets.token_hex(16)
        self.groups = groups or {"instructors": ["teacher"]}
        self.classrooms = classrooms
        self.service_args = service_args or []
        self.service_env = {"PYTHONPATH": str(REPO), **(service_env or {})}
        self.log_path = root / "jupyterhub.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None

    def write_config(self) -> Path:
        readme = self.root / "readme_jupyterhub_config.py"
        data_dir = self.root / "classroom-data"
        readme.write_text(readme_hub_config().replace("/srv/jupyterhub/classroom", str(data_dir)))
        service_port = free_port()
        #: The service's own address (not through the proxy), as the hub's API gives it.
        self.service_direct_url = f"http://127.0.0.1:{service_port}/services/classroom/"
        extra_args = [
            # The browsers and aiortc peers of the tests are on loopback.
            "--ClassroomHub.sfu_ice_addresses=127.0.0.1",
            "--ClassroomHub.sfu_allowed_candidate_networks=127.0.0.0/8",
            "--ClassroomHub.reconnect_grace=2",
            *self.service_args,
        ]
        if self.classrooms is not None:
            config_file = self.root / "classroom_config.py"
            config_file.write_text(f"c.ClassroomHub.classrooms = {self.classrooms!r}\n")
            extra_args.append(f"--config={config_file}")
        config = f"""
import sys
c = get_config()  # noqa
load_subconfig({str(readme)!r})

# Everything on 127.0.0.1, in this test's directory.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {self.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{proxy_command()!r}]
c.ConfigurableHTTPProxy.auth_token = {secrets.token_hex(16)!r}
c.JupyterHub.db_url = "sqlite:///{self.root / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret = bytes.fromhex({secrets.token_hex(32)!r})
c.JupyterHub.pid_file = {str(self.root / "jupyterhub.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.last_activity_interval = 3600

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
c.Authenticator.allow_all = True
c.JupyterHub.load_groups = {{name: {{"users": users}} for name, users in {self.groups!r}.items()}}

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(self.root / "home" / "{username}")!r}
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root", "--ServerApp.port_retries=0"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.env_keep = ["PATH", "PYTHONPATH", "LANG", "LC_ALL", "VIRTUAL_ENV"]

service = c.JupyterHub.services[0]
service["url"] = "http://127.0.0.1:{service_port}"
service["command"] = [*service["command"], *{extra_args!r}]
service.setdefault("environment", {{}}).update({self.service_env!r})
c.JupyterHub.services.append({{"name": "hub-admin", "api_token": {self.admin_token!r}}})
c.JupyterHub.load_roles.append({{
    "name": "hub-admin",
    "scopes": ["admin:users", "admin:groups", "tokens", "admin:servers", "list:users"],
    "services": ["hub-admin"],
}})
"""
        path = self.root / "jupyterhub_config.py"
        path.write_text(config)
        return path

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "home").mkdir(exist_ok=True)
        config = self.write_config()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=self.root,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_started()
        except BaseException:  # a timeout of the test included: leave nothing running
            self.stop()
            raise

    def _wait_started(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited:\n{self.log()}")
            try:
                self.api("GET", "")
                with urllib.request.urlopen(f"{self.service_url}", timeout=2):
                    return
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.25)
        raise RuntimeError(f"jupyterhub did not start in time:\n{self.log()}")

    def stop(self) -> None:
        terminate(self.proc, 30)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:]

    # -- the hub's REST API, as the test's admin service --------------------

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}hub/api/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {token or self.admin_token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def add_user(self, name: str) -> None:
        try:
            self.api("POST", f"users/{name}")
        except urllib.error.HTTPError as e:
            if e.code != 409:  # exists already
                raise

    def token_for(self, name: str, scopes: list[str] | None = None) -> str:
        """A new API token of ``name``: with these scopes, or (None) with
        everything the user holds, resolved at each request."""
        self.add_user(name)
        body: dict[str, Any] = {"note": "classroom test"}
        if scopes is not None:
            body["scopes"] = scopes
        return str(self.api("POST", f"users/{name}/tokens", body)["token"])

    def set_group(self, group: str, add: list[str] = (), remove: list[str] = ()) -> None:  # type: ignore[assignment]
        if add:
            self.api("POST", f"groups/{group}/users", {"users": list(add)})
        if remove:
            self.api("DELETE", f"groups/{group}/users", {"users": list(remove)})

    # -- single-user servers --------------------------------------------------

    def start_server(self, name: str, timeout: float = 120) -> None:
        """Spawn ``name``'s single-user server and wait until the hub says it is ready."""
        self.add_user(name)
        try:
            self.api("POST", f"users/{name}/server")
        except urllib.error.HTTPError as e:
            if e.code != 400:  # 400: already running
                raise
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.api("GET", f"users/{name}").get("servers", {}).get("")
            if server and server.get("ready"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{name}'s server did not start in time:\n{self.log()}")

    def stop_server(self, name: str) -> None:
        try:
            self.api("DELETE", f"users/{name}/server")
        except urllib.error.HTTPError as e:
            if e.code not in (400, 404):
                raise

    def server_environ(self, name: str) -> dict[str, str]:
        """The environment of ``name``'s running single-user server, as the
        spawner gave it (and as the server's kernels inherit it)."""
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
                raw = (proc / "environ").read_bytes()
            except OSError:  # gone, or not ours
                continue
            if b"jupyterhub.singleuser" not in cmdline:
                continue
            env = dict(item.decode().split("=", 1) for item in raw.split(b"\0") if b"=" in item)
            if env.get("JUPYTERHUB_USER") == name:
                return env
        raise RuntimeError(f"no single-user server of {name} is running")
