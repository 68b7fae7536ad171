"""The hub service's settings, without a hub."""

from __future__ import annotations

import pytest

from jupyter_classroom.hub import ClassroomHub
from jupyter_classroom.hub.members import HubUser


@pytest.fixture
def hub_app(monkeypatch: pytest.MonkeyPatch, tmp_path) -> ClassroomHub:
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "a-token-for-the-test")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/services/classroom/")
    monkeypatch.setenv("JUPYTERHUB_USER", "root")
    ClassroomHub.clear_instance()
    app = ClassroomHub()
    app.initialize([f"--data-dir={tmp_path}"])
    return app


def test_idle_sockets_are_pinged_within_30_seconds(hub_app: ClassroomHub) -> None:
    settings = hub_app.make_app().settings
    assert 0 < settings["websocket_ping_interval"] <= 30


def test_a_dead_socket_is_noticed_within_two_pings_with_settings_tornado_takes(
    hub_app: ClassroomHub,
) -> None:
    settings = hub_app.make_app().settings
    interval, timeout = settings["websocket_ping_interval"], settings["websocket_ping_timeout"]
    # Tornado replaces (with a warning) a timeout longer than the interval.
    assert 0 < timeout <= interval
    # The ping after the last sign of life, then its timeout.
    assert interval + timeout <= 2 * interval


def test_roles_come_from_the_hub_not_from_the_machine(hub_app: ClassroomHub) -> None:
    # The extension makes its server's owner an instructor; the service must
    # not make the hub user who shares a name with its operating-system user one.
    assert hub_app.role_of(HubUser("root", frozenset(), frozenset())) == "student"
    teacher = HubUser("ada", frozenset(), frozenset({"custom:classroom:teach"}))
    assert hub_app.role_of(teacher) == "instructor"


def test_a_bad_classrooms_setting_stops_the_service_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "a-token-for-the-test")
    config = tmp_path / "classroom_config.py"
    config.write_text("c.ClassroomHub.classrooms = {'Physics 101': {'groups': ['physics']}}\n")
    ClassroomHub.clear_instance()
    app = ClassroomHub()
    app.log.propagate = True
    with pytest.raises(SystemExit) as e:
        app.initialize([f"--config={config}"])
    assert e.value.code == 1
    assert "classroom name 'Physics 101'" in caplog.text


def test_without_a_hub_token_the_service_says_how_to_run_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    ClassroomHub.clear_instance()
    app = ClassroomHub()
    app.log.propagate = True
    with pytest.raises(SystemExit):
        app.initialize([])
    assert "c.JupyterHub.services" in caplog.text


def test_the_hub_docs_zero_to_jupyterhub_values_are_valid_yaml() -> None:
    import re

    import yaml

    from .harness.servers import REPO

    text = (REPO / "docs" / "hub.md").read_text()
    (block,) = re.findall(r"```yaml\n(hub:.*?)```", text, re.S)
    values = yaml.safe_load(block)
    service = values["hub"]["services"]["classroom"]
    assert service["command"][:3] == ["python3", "-m", "jupyter_classroom.hub"]
    assert values["hub"]["service"]["extraPorts"][0]["port"] == 10101
    assert values["hub"]["loadRoles"]["classroom-instructor"]["scopes"] == [
        "custom:classroom:teach"
    ]
    assert values["singleuser"]["extraEnv"] == {
        "JUPYTER_CLASSROOM_HUB_SERVICE_URL": "/services/classroom/"
    }
