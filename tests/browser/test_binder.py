"""The Binder link: the image repo2docker would build from ``binder/``, its
build steps replayed in a fresh environment, and a visitor in Chromium on a
network with no UDP who finds the classroom open and hears a demo classmate.

What is replayed: the Dockerfile that repo2docker generates (checked for the
order of its steps), the repository copied into the image user's home (which
is ``REPO_DIR`` on Binder), the Dockerfile's own assemble commands run there
(``pip install -r binder/requirements.txt`` into a new virtual environment,
then ``binder/postBuild`` with ``HOME`` in the test's directory), and
``jupyter lab`` started from that environment with only the configuration
those steps installed.

What is not replayed: Docker itself and repo2docker's conda base environment
(the new environment is a ``python -m venv`` of the test's interpreter);
dependency resolution from PyPI (the tests run without a network, so the
new environment sees the test environment's packages through a ``.pth``
file and pip installs with ``--no-index --no-build-isolation``); and the
Node.js build of the extension (hatch-jupyter-builder's ``skip-if-exists``
finds the extension ``pip install -e .`` built in this checkout and packs
it into the wheel; on Binder a fresh clone has none, and the same pip
command builds it with the base environment's Node.js, once, at image
build).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import secrets
import shutil
import site
import subprocess
import sys
import sysconfig
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from ..harness import wait_until
from ..harness.pages import PANEL, SOCKET, joined
from ..harness.servers import REPO, free_port, terminate
from .test_no_udp import Firewall, private_network

#: mybinder.org builds as this user (repo2docker's defaults when run there).
NB_USER, NB_UID = "jovyan", "1000"

#: What the replay leaves out of the copy: this machine's environments and
#: caches (repo2docker copies a fresh clone, which has none of them).
NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    "build",
    "dist",
    "test-results",
    "*.egg-info",
)

#: hatchling's hooks, which pip needs importable without build isolation.
BUILD_BACKENDS = ("hatchling", "hatch_nodejs_version", "hatch_jupyter_builder")

BUILT_EXTENSION = "jupyter_classroom/labextension/static/style.js"


def repo2docker() -> str:
    found = os.environ.get("CLASSROOM_REPO2DOCKER") or shutil.which("repo2docker")
    if not found:
        beside = Path(sys.executable).with_name("repo2docker")
        found = str(beside) if beside.exists() else ""
    if not found:
        pytest.skip("repo2docker is not installed (the test extra jupyter-repo2docker has it)")
    return found


@pytest.fixture(scope="module")
def dockerfile() -> str:
    """The Dockerfile repo2docker would build for this repository on mybinder.org."""
    done = subprocess.run(
        [
            repo2docker(),
            "--no-build",
            "--debug",
            f"--user-id={NB_UID}",
            f"--user-name={NB_USER}",
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def run_steps(dockerfile: str) -> list[str]:
    """The Dockerfile's RUN commands after it copies the repository in, as
    the image user, in order."""
    lines = dockerfile.splitlines()
    copy = next(
        i for i, line in enumerate(lines) if re.match(r"COPY \S+ src/ \$\{REPO_DIR\}/", line)
    )
    steps = []
    for line in lines[copy + 1 :]:
        if line.startswith("RUN "):
            steps.append(line[4:].strip())
    return steps


def base_lock(copy: str) -> Path:
    """The file a ``COPY build_script_files/<escaped path>-<hash> ...`` line
    copies (repo2docker escapes the path with escapism: ``-2f`` for ``/``)."""
    escaped = copy.split()[2].removeprefix("build_script_files/").rsplit("-", 1)[0]
    return Path(re.sub(r"-([0-9a-f]{2})", lambda m: chr(int(m[1], 16)), escaped))


def test_repo2docker_copies_the_repository_before_installing_it(dockerfile: str) -> None:
    lines = dockerfile.splitlines()
    # repo2docker's Python build pack, runtime.txt's version, no conda
    # environment of ours (its base environment has Node.js 20 for the
    # extension's build).
    assert not any("environment.yml" in line for line in lines)
    locks = [base_lock(line) for line in lines if line.endswith(" /tmp/env/environment.lock")]
    assert len(locks) == 1 and locks[0].name.startswith("environment.py-3.11-"), locks
    if locks[0].exists():  # repo2docker's own file, where it is installed
        assert re.search(r"nodejs-20\.", locks[0].read_text()), "no Node.js 20 to build with"
    copy = [i for i, line in enumerate(lines) if re.match(r"COPY \S+ src/ \$\{REPO_DIR\}/", line)]
    assert len(copy) == 1, "the repository is copied in once"
    assert f"--chown={NB_UID}:{NB_UID}" in lines[copy[0]], "the image user owns the copy"
    install = [
        i
        for i, line in enumerate(lines)
        if 'pip install --no-cache-dir -r "binder/requirements.txt"' in line
    ]
    post_build = [i for i, line in enumerate(lines) if line.strip() == "RUN ./binder/postBuild"]
    assert len(install) == 1 and len(post_build) == 1
    # "." in requirements.txt is the repository: installed after it is there,
    # and postBuild after the package (it runs `jupyter lab`'s commands).
    assert copy[0] < install[0] < post_build[0]
    user = [line for line in lines[: install[0]] if line.startswith("USER ")]
    assert user[-1] == "USER ${NB_USER}"
    assert run_steps(dockerfile) == [
        '${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "binder/requirements.txt"',
        "chmod +x binder/postBuild",
        "./binder/postBuild",
    ]


@dataclass
class BinderLab:
    """JupyterLab as a Binder starts it, from the replayed environment."""

    home: Path
    env: Path
    url: str
    token: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


def clean_environ(home: Path, env: Path) -> dict[str, str]:
    """The environment of a process in the image: its HOME, its Python
    first on PATH, nothing of the test's Jupyter or Python settings."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTER_", "PYTHON", "VIRTUAL_ENV", "PIP_"))
    }
    # Not the test environment's commands: they would run its Python.
    theirs = str(Path(sys.executable).parent)
    path = [p for p in environ.get("PATH", "").split(os.pathsep) if p and p != theirs]
    environ.update(HOME=str(home), PATH=os.pathsep.join([str(env / "bin"), *path]))
    return environ


def base_environment(env: Path) -> None:
    """What repo2docker's base environment brings, lent by the test
    environment: Jupyter's commands (running the new environment's Python)
    and Jupyter's data and configuration files (JupyterLab's own pages, other
    packages' extensions), all but this package's, which the replayed
    install has to bring."""
    ours = {"jupyterlab-classroom", "jupyter_classroom.json"}
    for folder in (
        "share/jupyter",
        "share/jupyter/labextensions",
        "etc/jupyter/jupyter_server_config.d",
    ):
        (env / folder).mkdir(parents=True, exist_ok=True)
        for item in (Path(sys.prefix) / folder).glob("*"):
            target = env / folder / item.name
            if item.name not in ours and not target.exists() and item.name != "labextensions":
                target.symlink_to(item)
    for entry in importlib.metadata.entry_points(group="console_scripts"):
        if entry.name.startswith("jupyter") and not (env / "bin" / entry.name).exists():
            module, _, attr = entry.value.partition(":")
            script = env / "bin" / entry.name
            script.write_text(
                f"#!{env / 'bin' / 'python'}\n"
                "import sys\n"
                f"from {module} import {attr.split('.')[0]}\n"
                f"sys.exit({attr}())\n"
            )
            script.chmod(0o755)


def packages_of_the_tests() -> list[str]:
    """Where the test environment's packages are: its site-packages and
    wherever the build backends are (an extra directory on PYTHONPATH)."""
    paths = [p for p in site.getsitepackages() if Path(p).is_dir()]
    for name in BUILD_BACKENDS:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            pytest.fail(f"{name} is needed to build the package offline (a test extra)")
        paths.append(str(Path(spec.origin).parent.parent))
    return list(dict.fromkeys(paths))


def replay(dockerfile: str, root: Path) -> tuple[Path, Path]:
    """repo2docker's steps from the repository's copy on: the new
    environment and the home (the copy of the repository) it built."""
    if not (REPO / BUILT_EXTENSION).exists():
        pytest.fail(
            f"{BUILT_EXTENSION} is missing: `pip install -e .` (scripts/test.sh) builds it; "
            "without it the package's build needs Node.js and npm's registry"
        )
    home = root / "home"
    shutil.copytree(REPO, home, ignore=NOT_COPIED)
    env = root / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=300)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(env), "platbase": str(env)}))
    (purelib / "test_environment.pth").write_text("\n".join(packages_of_the_tests()) + "\n")
    base_environment(env)
    environ = clean_environ(home, env)
    for step in run_steps(dockerfile):
        command = step.replace("${KERNEL_PYTHON_PREFIX}", str(env))
        if "/bin/pip install" in command:
            # No network: the dependencies are already there (the .pth) and
            # hatchling's hooks come from the test environment.
            command = command.replace(" install ", " install --no-index --no-build-isolation ")
        done = subprocess.run(
            command, shell=True, cwd=home, env=environ, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return home, env


def start(home: Path, env: Path, root: Path) -> BinderLab:
    port, token = free_port(), secrets.token_hex(16)
    log_path = root / "jupyter.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [
                str(env / "bin" / "jupyter"),
                "lab",
                "--ip=127.0.0.1",
                f"--port={port}",
                "--port-retries=0",
                "--no-browser",
                f"--ServerApp.token={token}",
                # Binder's user is not root; this test's may be.
                "--allow-root",
            ],
            cwd=home,
            env=clean_environ(home, env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    lab = BinderLab(home, env, f"http://127.0.0.1:{port}/", token, port, proc, log_path)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited:\n{lab.log()}")
        try:
            with urllib.request.urlopen(f"{lab.url}api/status?token={token}", timeout=2):
                return lab
        except OSError:
            if time.monotonic() > deadline:
                terminate(proc, 20)
                raise RuntimeError(f"jupyter lab did not start in time:\n{lab.log()}") from None
            time.sleep(0.25)


@pytest.fixture(scope="module")
def binder(dockerfile: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BinderLab]:
    if not private_network():
        pytest.skip("needs a private network namespace (scripts/test.sh runs pytest in one)")
    root = tmp_path_factory.mktemp("binder")
    home, env = replay(dockerfile, root)
    lab = start(home, env, root)
    firewall = Firewall(lab.port)
    try:
        firewall.close()
        yield lab
    finally:
        firewall.open()
        terminate(lab.proc, 20)


def test_the_replay_installed_the_package_and_the_classroom_layout(binder: BinderLab) -> None:
    env, home = binder.env, binder.home
    found = subprocess.run(
        [
            str(env / "bin" / "python"),
            "-c",
            "import jupyter_classroom; print(jupyter_classroom.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=clean_environ(home, env),
        cwd=env,
    ).stdout.strip()
    # The new environment's own copy, not the checkout nor the test environment's.
    assert Path(found).is_relative_to(env), found
    assert (env / "share/jupyter/labextensions/jupyterlab-classroom/package.json").exists()
    assert (env / "etc/jupyter/jupyter_server_config.d/jupyter_classroom.json").exists()
    config = (home / ".jupyter" / "jupyter_server_config.py").read_text()
    assert "c.ClassroomApp.demo_participants = 3" in config
    assert list((home / ".jupyter" / "lab" / "workspaces").glob("default-*.jupyterlab-workspace"))


class Resting:
    """Demo classmates standing still on the open floor (no room), as the
    page lists them: a demo classmate walks between stops and rests at each
    for several seconds, and stays while someone is near."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.seen: dict[str, tuple[str, str, float]] = {}  # id: (name, where, since)

    def __call__(self) -> tuple[str, str] | None:
        now = time.monotonic()
        found = self.page.evaluate(
            f"""() => [...document.querySelectorAll('{PANEL} li.jp-Classroom-person')]
                .filter(li => li.dataset.room === '' && li.querySelector(
                    '.jp-Classroom-personName').textContent.endsWith(' (demo)'))
                .map(li => [li.dataset.id, li.dataset.name, li.dataset.x + ',' + li.dataset.y])"""
        )
        for pid, name, where in found:
            if pid not in self.seen or self.seen[pid][1] != where:
                self.seen[pid] = (name, where, now)
            elif now - self.seen[pid][2] >= 1.5:
                return pid, name
        return None


def audio_bytes(page: Page, pid: str) -> float:
    return float(page.evaluate(f"(pid) => {SOCKET}.stats(pid).audioBytes", pid))


@pytest.mark.timeout(1200)
def test_a_visitor_finds_the_classroom_open_and_hears_a_demo_classmate(
    browser: Browser, binder: BinderLab
) -> None:
    context = browser.new_context(
        permissions=["microphone", "camera"], viewport={"width": 1400, "height": 900}
    )
    try:
        page = context.new_page()
        # Binder opens urlpath=lab: the default workspace postBuild imported.
        page.goto(f"{binder.url}lab?token={binder.token}")
        page.locator(PANEL).wait_for(state="visible", timeout=90_000)
        page.locator(".jp-NotebookPanel", has_text="Getting started").wait_for(timeout=60_000)
        joined(page, 4)
        page.wait_for_function(
            f"[...document.querySelectorAll('{PANEL} .jp-Classroom-personName')]"
            ".filter(n => n.textContent.endsWith(' (demo)')).length === 3"
        )
        # Walk up to one resting on the open floor: a classmate at rest waits
        # for someone walking towards it and stays while they talk. Its rest
        # may end in the moment between our seeing it still and our first
        # step; then it has walked on, and we walk up to one again.
        for attempt in range(5):
            pid, name = wait_until(
                Resting(page),
                timeout=120,
                what="a demo classmate on the open floor",
            )
            entry = page.locator(f'{PANEL} li.jp-Classroom-person[data-id="{pid}"]')
            # The list reorders as people move: a click by position could land
            # on another entry, so the buttons get their click event directly.
            select = entry.locator("button[data-action=select]")
            if select.get_attribute("aria-expanded") != "true":
                select.dispatch_event("click")
            entry.locator("button[data-action=goto]").dispatch_event("click")
            first = audio_bytes(page, pid)
            try:
                wait_until(
                    lambda p=pid, f=first: audio_bytes(page, p) > f + 4000,
                    timeout=30,
                    what=f"{name}'s voice",
                )
                break
            except AssertionError:
                if attempt == 4:
                    raise
        assert page.evaluate(f"{SOCKET}.open")
    finally:
        context.close()


def test_the_readme_launches_this_repository_on_binder() -> None:
    # The project's URLs come from labextension/package.json
    # (hatch-nodejs-version fills [project.urls] from it).
    package = json.loads((REPO / "labextension" / "package.json").read_text())
    found = re.fullmatch(
        r"https://github\.com/([^/]+)/([^/]+?)(\.git)?", package["repository"]["url"]
    )
    assert found, package["repository"]["url"]
    launch = f"https://mybinder.org/v2/gh/{found[1]}/{found[2]}/HEAD?urlpath=lab"
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Try it on Binder", 1)[1].split("\n## ", 1)[0]
    assert f"]({launch})" in section
