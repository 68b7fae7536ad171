"""The classroom asks Jupyter's authorizer: a user it refuses cannot join."""

from __future__ import annotations

import pytest
import tornado.httpclient
from jupyter_server.auth.authorizer import Authorizer

pytest_plugins = ["pytest_jupyter.jupyter_server"]


class NoClassroom(Authorizer):
    """Allows everything but the classroom (async, as some authorizers are)."""

    async def is_authorized(self, handler, user, action, resource) -> bool:
        return resource != "classroom"


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_classroom": True},
            "authorizer_class": NoClassroom,
        },
        "ClassroomApp": {"chat_db_path": str(tmp_path / "chat.sqlite")},
    }


async def test_an_unauthorized_user_is_refused(jp_ws_fetch, jp_fetch) -> None:
    # The same user may use the rest of the server...
    assert (await jp_fetch("api", "status")).code == 200
    # ...but not the classroom.
    with pytest.raises(tornado.httpclient.HTTPClientError) as e:
        await jp_ws_fetch("classroom", "ws")
    assert e.value.code == 403
