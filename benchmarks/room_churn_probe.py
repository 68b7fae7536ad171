"""A jupyter-server extension for benchmarks/room_churn.py and breakouts.py only: answers
``GET /room-churn/objects`` with the live aiortc and aioice objects in the
server, by type, counted without a garbage collection (what reference
counting has not freed is still there), and ``GET /room-churn/objects?all=1``
with every object the collector tracks, by type; ``GET /room-churn/relay`` with
the counters of the classroom's media relay (benchmarks/ws_media.py). Never enable it on a real server: a
count walks every object, and stalls the event loop while it does."""

from __future__ import annotations

import gc
import json
from collections import Counter
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web


def live_objects(everything: bool = False) -> dict[str, int]:
    """Live objects by type: aiortc's and aioice's, or all the collector tracks."""
    counts: Counter[str] = Counter()
    for obj in gc.get_objects():
        module = getattr(type(obj), "__module__", None)
        if not isinstance(module, str):
            continue
        if everything or module.startswith(("aiortc", "aioice")):
            counts[f"{module}.{type(obj).__qualname__}"] += 1
    return dict(counts)


class ObjectsHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        self.finish(json.dumps(live_objects(bool(self.get_argument("all", "")))))


class RelayHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        apps = self.settings["serverapp"].extension_manager.extension_apps["jupyter_classroom"]
        (app,) = apps
        self.finish(json.dumps(app.service.relay.stats()))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "room_churn_probe"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "/room-churn/objects"), ObjectsHandler),
            (url_path_join(base, "/room-churn/relay"), RelayHandler),
        ],
    )
