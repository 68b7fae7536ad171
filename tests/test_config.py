"""The configuration: each setting of the core declared once (a field of
ClassroomSettings), configurable the same way on both hosts."""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys

import pytest
from traitlets import HasTraits
from traitlets.config import Config

from jupyter_classroom.app import ClassroomApp
from jupyter_classroom.classroom import ClassroomSettings
from jupyter_classroom.config import ClassroomConfig, configurable_fields, settings_from
from jupyter_classroom.hub import ClassroomHub

CORE = configurable_fields(ClassroomSettings)


def test_the_core_settings_people_configure_are_the_fields_with_help() -> None:
    names = {f.name for f in CORE}
    assert {"speed", "walk_burst", "max_participants", "room_capacity", "room_capacities"} <= names
    # The core's own tuning is not configuration.
    assert not names & {"avatar_radius", "speed_tolerance", "reconnecting_deliveries_per_tick"}


@pytest.mark.parametrize("host", [ClassroomApp, ClassroomHub])
def test_each_core_setting_is_a_setting_of_each_host_with_its_default_and_help(
    host: type[HasTraits],
) -> None:
    traits = host.class_traits(config=True)
    for f in CORE:
        trait = traits[f.name]
        assert trait.help == f.metadata["help"]
        default = f.default_factory() if callable(f.default_factory) else f.default
        if f.metadata["zero_is_none"]:
            assert default is None and trait.default() == 0
        else:
            assert trait.default() == default


def test_configured_values_reach_the_core() -> None:
    config = Config()
    config.ClassroomApp.speed = 300.0
    config.ClassroomApp.room_capacity = 5
    config.ClassroomApp.room_capacities = {"stage": 150}
    settings = ClassroomApp(config=config).core_settings()
    assert settings.speed == 300.0
    assert settings.room_capacity == 5
    assert settings.room_capacities == {"stage": 150}
    # Untouched settings keep the core's defaults; 0 is "no limit", the core's None.
    defaults = ClassroomApp().core_settings()
    assert defaults == ClassroomSettings()
    assert defaults.room_capacity is None


def test_settings_from_copies_containers() -> None:
    app = ClassroomConfig(room_capacities={"table-1": 4})
    settings = settings_from(ClassroomSettings, app)
    settings.room_capacities["table-1"] = 9
    assert app.room_capacities == {"table-1": 4}
    assert dataclasses.asdict(settings)["room_capacities"] == {"table-1": 9}


def test_list_settings_are_read_in_every_form_when_set(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = ClassroomApp()
    monkeypatch.setattr(app.log, "propagate", True)
    app.instructors = ["['ada', 'bob']"]
    assert app.instructors == ["ada", "bob"]
    app.instructors = ["ada,bob"]
    assert app.instructors == ["ada", "bob"]
    with caplog.at_level(logging.ERROR):
        app.sfu_ice_addresses = ["[1, 2]"]
    assert app.sfu_ice_addresses == []
    assert "ClassroomApp.sfu_ice_addresses" in caplog.text and "ignored" in caplog.text
    # Rooms then have chat only, and say why.
    media, reason = app.media_settings()
    assert media is None and reason is not None and "sfu_ice_addresses" in reason


def test_the_shared_configuration_imports_no_host() -> None:
    script = (
        "import sys\n"
        "import jupyter_classroom.config, jupyter_classroom.hub.app\n"
        "print(sorted(m for m in sys.modules if m.startswith("
        "('jupyter_server', 'jupyter_classroom.app', 'jupyter_classroom.server.handlers'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
