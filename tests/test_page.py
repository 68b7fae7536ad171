"""The standalone classroom page and its bundle: served without a Jupyter
login, the bundle's files and nothing else, the configuration escaped."""

from __future__ import annotations

import json
import re

import pytest
import tornado.httpclient

from jupyter_classroom.server.page import BUNDLE_DIR, page_config_json

pytest_plugins = ["pytest_jupyter.jupyter_server"]

#: An empty Authorization header: no token, no cookie, nobody logged in.
ANONYMOUS = {"Authorization": ""}

needs_bundle = pytest.mark.skipif(
    not (BUNDLE_DIR / "page.js").is_file(), reason="the page's bundle is not built (jlpm build)"
)


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_classroom": True}},
        "ClassroomApp": {"chat_db_path": str(tmp_path / "chat.sqlite")},
    }


def test_the_configuration_cannot_end_its_script() -> None:
    config = {"baseUrl": "/a</script><script>alert(1)</script>/", "wsUrl": "x\u2028y<!--"}
    text = page_config_json(config)
    assert "<" not in text and ">" not in text and "\u2028" not in text
    # ...and it is still the same JSON.
    assert json.loads(text) == config


@needs_bundle
async def test_the_page_needs_no_login(jp_fetch, jp_base_url) -> None:
    # The classroom's data does: the page is only HTML and a script's address.
    with pytest.raises(tornado.httpclient.HTTPClientError) as e:
        await jp_fetch("classroom", "config", headers=dict(ANONYMOUS))
    assert e.value.code == 403

    response = await jp_fetch("classroom", "page", headers=dict(ANONYMOUS))
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Cache-Control"] == "no-cache"
    # The cookie Jupyter checks on the page's requests other than GET.
    assert "_xsrf=" in response.headers.get("Set-Cookie", "")
    html = response.body.decode()
    assert re.search(r"<html lang=\"en\">", html)
    # The default map's name.
    assert "<title>Classroom</title>" in html
    assert re.search(r"<main id=\"classroom-page\"", html)
    (config,) = re.findall(
        r'<script id="classroom-page-config" type="application/json">(.*?)</script>', html
    )
    assert json.loads(config) == {"baseUrl": jp_base_url, "wsUrl": ""}
    # The bundle, by version, from the page's own static route; nothing from elsewhere.
    (script,) = re.findall(r'<script src="([^"]+)"', html)
    assert script.startswith(f"{jp_base_url}classroom/static/page.js?v=")
    assert "http" not in html.lower().replace("http-equiv", "")


@needs_bundle
async def test_the_bundle_is_served_without_login_and_cached_by_version(jp_fetch) -> None:
    plain = await jp_fetch("classroom", "static", "page.js", headers=dict(ANONYMOUS))
    assert plain.code == 200
    assert "javascript" in plain.headers["Content-Type"]
    assert plain.headers["Cache-Control"] == "no-cache"
    versioned = await jp_fetch(
        "classroom", "static", "page.js", params={"v": "1"}, headers=dict(ANONYMOUS)
    )
    assert "max-age" in versioned.headers["Cache-Control"]
    assert "no-cache" not in versioned.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "../server/page.py",
        "..%2Fserver%2Fpage.py",
        "%2E%2E/%2E%2E/app.py",
        "/etc/passwd",
        "nothing-here.js",
    ],
)
async def test_only_the_bundles_files_are_served(
    http_server_client, jp_base_url, jp_auth_header, path
) -> None:
    # Raw paths, as a browser or a script could send them (with a login: it changes nothing).
    url = f"{jp_base_url}classroom/static/{path}"
    with pytest.raises(tornado.httpclient.HTTPClientError) as e:
        await http_server_client.fetch(url, headers=jp_auth_header)
    assert e.value.code in (403, 404)
