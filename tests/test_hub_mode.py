"""A single-user server on a hub with the classroom service: it tells its
page where the hub's classroom is and starts no classroom of its own."""

from __future__ import annotations

import json

import pytest
import tornado.httpclient

from .harness.servers import classroom_service

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_classroom": True}},
        "ClassroomApp": {
            "chat_db_path": str(tmp_path / "chat.sqlite"),
            "hub_service_url": "/services/classroom/",
        },
    }


async def test_the_page_is_sent_to_the_hub_service(
    jp_fetch, jp_ws_fetch, jp_serverapp, tmp_path
) -> None:
    response = await jp_fetch("classroom", "config")
    assert json.loads(response.body) == {"hub_service_url": "/services/classroom/"}
    assert classroom_service(jp_serverapp) is None
    with pytest.raises(tornado.httpclient.HTTPClientError) as e:
        await jp_ws_fetch("classroom", "ws")
    assert e.value.code == 404
    assert not (tmp_path / "chat.sqlite").exists()


async def test_the_config_needs_the_server_login(jp_fetch) -> None:
    with pytest.raises(tornado.httpclient.HTTPClientError) as e:
        await jp_fetch("classroom", "config", headers={"Authorization": ""})
    assert e.value.code in (401, 403)
