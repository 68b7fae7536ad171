"""A Jupyter server not on a hub tells its page to use its own classroom."""

from __future__ import annotations

import json

import pytest

from jupyter_classroom.app import ClassroomApp

from .harness.servers import classroom_service, server_config

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(tmp_path):
    return server_config(tmp_path)


def test_the_hub_service_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTER_CLASSROOM_HUB_SERVICE_URL", raising=False)
    assert ClassroomApp().hub_service_url == ""
    monkeypatch.setenv("JUPYTER_CLASSROOM_HUB_SERVICE_URL", "/services/classroom/")
    assert ClassroomApp().hub_service_url == "/services/classroom/"


async def test_the_config_names_no_hub_service(jp_fetch, jp_serverapp) -> None:
    response = await jp_fetch("classroom", "config")
    assert json.loads(response.body) == {"hub_service_url": None}
    assert classroom_service(jp_serverapp) is not None
