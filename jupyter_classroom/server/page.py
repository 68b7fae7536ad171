"""The standalone classroom page: ``{base_url}classroom/page`` (HTML and the
address of its bundle, no data) and ``{base_url}classroom/static/<file>``
(the bundle). Neither needs a Jupyter login: whoever opens the page still
needs a login, or a guest pass, for the classroom's socket and map."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from string import Template
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import FileFindHandler, JupyterHandler
from tornado import web

PACKAGE = Path(__file__).resolve().parents[1]
#: Where ``jlpm build`` writes the page's bundle (labextension/page.config.js).
BUNDLE_DIR = PACKAGE / "static" / "page"
TEMPLATE = PACKAGE / "templates" / "page.html"

__all__ = ["BUNDLE_DIR", "ClassroomPageHandler", "ClassroomStaticHandler", "page_config_json"]


def page_config_json(config: dict[str, Any]) -> str:
    """``config`` as JSON that can stand inside a ``<script>`` element: no
    ``</script>``, no ``<!--``, no line separators that end a JS string."""
    text = json.dumps(config, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


class ClassroomPageHandler(JupyterHandler):
    """``{base_url}classroom/page``: the classroom without JupyterLab."""

    def initialize(self, title: Callable[[], str | None]) -> None:
        self.title = title

    @allow_unauthenticated
    def get(self) -> None:
        if not (BUNDLE_DIR / "page.js").is_file():
            raise web.HTTPError(404, "the classroom page was not built (jlpm build)")
        static = self.base_url.rstrip("/") + "/classroom/static/"
        config = {
            "baseUrl": self.base_url,
            # Empty: the page derives it from where it was loaded.
            "wsUrl": self.settings.get("websocket_url", "") or "",
        }
        root = {"static_path": str(BUNDLE_DIR)}
        page = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
            title=html.escape(self.title() or "Classroom"),
            static=html.escape(static),
            config=page_config_json(config),
            js_version=web.StaticFileHandler.get_version(root, "page.js") or "",
        )
        # Sets the _xsrf cookie, as Jupyter's own pages do: ServerConnection
        # sends it back with any request that is not a GET.
        _ = self.xsrf_token
        # The page names its bundle by content: always ask for the page anew.
        self.set_header("Cache-Control", "no-cache")
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(page)


class ClassroomStaticHandler(FileFindHandler):
    """``{base_url}classroom/static/<file>``: files of the page's bundle and
    nothing else (tornado refuses a path that leaves the directory). Cached
    for good when asked for by version (``?v=``), revalidated otherwise."""

    def initialize(self, **kwargs: Any) -> None:  # type: ignore[override]
        super().initialize(path=str(BUNDLE_DIR))
