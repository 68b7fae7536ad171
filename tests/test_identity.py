"""Names and colours checked where they enter, and told apart when two match."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_classroom import protocol
from jupyter_classroom.classroom import (
    Classroom,
    ClassroomError,
    ClassroomSettings,
    Identity,
    colour_of,
)
from jupyter_classroom.classroom.identity import (
    MAX_NAME_LENGTH,
    check_colour,
    check_name,
    clean_colour,
    distinct_name,
    host_name,
    name_key,
)
from jupyter_classroom.protocol import ErrorCode

from .conftest import person
from .test_classroom import joined, messages


def anonymous(username: str, name: str = "Anonymous Io") -> Identity:
    """Someone Jupyter's token login named with a placeholder."""
    return Identity.from_host(username=username, name=name, named_by_host=False)


def errors(effects) -> list[protocol.Error]:
    return [o.message for o in effects.messages if isinstance(o.message, protocol.Error)]


# -- names -----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("  Ada   Lovelace ", "Ada Lovelace"),
        ("Ada\nLovelace", "Ada Lovelace"),
        ("Ada\tLovelace\x00", "Ada Lovelace"),
        ("Ada\u202eecalevoL", "AdaecalevoL"),  # the bidi override is dropped
        ("A\u200bda", "Ada"),  # zero-width space dropped
        ("Ade\u0301le", "Ad\u00e9le"),  # NFC
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ),  # ZWNJ kept
        (
            "Z" + "\u0301" * 40 + "oe",
            "\u0179" + "\u0301" * 3 + "oe",
        ),  # a pile of accents is cut short
    ],
)
def test_names_are_cleaned(raw: str, clean: str) -> None:
    assert check_name(raw) == clean
    assert host_name(raw, fallback="x") == clean


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "\u200b\u200b", "\x00\x01\x1b", "...", "\u202e\u202d", "\u3164\u3164", "\u2800"],
)
def test_a_chosen_name_with_nothing_to_read_is_refused(raw: str) -> None:
    with pytest.raises(ClassroomError) as e:
        check_name(raw)
    assert e.value.code == ErrorCode.BAD_NAME


def test_a_chosen_name_that_is_too_long_is_refused_but_the_hosts_is_cut() -> None:
    with pytest.raises(ClassroomError) as e:
        check_name("x" * (MAX_NAME_LENGTH + 1))
    assert e.value.code == ErrorCode.BAD_NAME
    assert str(MAX_NAME_LENGTH) in e.value.message
    assert check_name("x" * MAX_NAME_LENGTH) == "x" * MAX_NAME_LENGTH
    assert host_name("y" * 500, fallback="u") == "y" * MAX_NAME_LENGTH
    # A host name with nothing in it falls back to the username.
    assert host_name("\u200b \n", fallback="ada") == "ada"


@given(st.text(max_size=200))
def test_no_name_that_comes_through_holds_control_or_format_characters(raw: str) -> None:
    import unicodedata

    name = host_name(raw, fallback="someone")
    assert 0 < len(name) <= MAX_NAME_LENGTH
    assert name == name.strip()
    assert "  " not in name
    for ch in name:
        category = unicodedata.category(ch)
        assert category not in ("Cc", "Cs", "Co", "Zl", "Zp")
        assert category != "Cf" or ch in "\u200c\u200d"


# -- colours -----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "url(http://evil.example/x.png)",
        "red",
        "#fff",
        "#12345g",
        "#1234567",
        "rgb(1,2,3)",
        "var(--jp-collaborator-color1)",
        " #123456",
        "#123456;background:url(x)",
        "",
    ],
)
def test_only_rrggbb_colours_pass(raw: str) -> None:
    assert clean_colour(raw) is None
    with pytest.raises(ClassroomError) as e:
        check_colour(raw)
    assert e.value.code == ErrorCode.BAD_COLOR
    # The host's colour is replaced by the username's own.
    assert Identity.from_host("ada", "Ada", color=raw).color == colour_of("ada")


def test_a_good_colour_is_kept_in_lower_case() -> None:
    assert check_colour("#A1B2C3") == "#a1b2c3"
    assert Identity.from_host("ada", "Ada", color="#A1B2C3").color == "#a1b2c3"


def test_the_hosts_record_is_cleaned_whole() -> None:
    ident = Identity.from_host(
        "ada",
        "Ada\u202e\n",
        initials="\u202eA\nD\u200bX Y",
        color="url(http://x)",
        avatar_url="javascript:alert(1)",
    )
    assert ident.name == "Ada"
    assert ident.initials == "ADX"
    assert ident.color == colour_of("ada")
    assert ident.avatar_url is None
    # Only a picture on this server: an outside address would make every
    # classmate's browser fetch it.
    for outside in (
        "https://example.org/a.png",
        "http://evil.example/a.png",
        "//evil.example/a.png",
        "/\\evil.example/a.png",
    ):
        assert Identity.from_host("ada", "Ada", avatar_url=outside).avatar_url is None
    assert Identity.from_host("ada", "Ada", avatar_url="/hub/avatar/ada.png").avatar_url == (
        "/hub/avatar/ada.png"
    )


# -- told apart --------------------------------------------------------------


def test_equal_names_get_numbers() -> None:
    assert distinct_name("Ada", []) == "Ada"
    assert distinct_name("Ada", ["Ada"]) == "Ada (2)"
    assert distinct_name("Ada", ["Ada", "Ada (2)"]) == "Ada (3)"
    # Case, width, joiners and spacing do not make another name.
    for twin in ("ada", "ＡＤＡ", "A\u200dda", "A da"):
        assert name_key(twin) == name_key("Ada")
        assert distinct_name(twin, ["Ada"]) == f"{twin} (2)"


def test_an_impostor_is_told_apart_everywhere(classroom: Classroom) -> None:
    prof = joined(classroom, person("Grace Hopper", "instructor"), 0.0)
    # Someone sets their Jupyter name to hers (PATCH /api/me) ...
    impostor_id = Identity.from_host("mallory", "grace  hopper\u200b")
    impostor = joined(classroom, impostor_id, 0.0)
    assert prof.name == "Grace Hopper"
    assert impostor.name == "grace hopper (2)"
    # ... on the map and in the list (the participant record) ...
    assert impostor.info().name == "grace hopper (2)"
    # ... and in the chat.
    effects = classroom.chat(impostor.id, "class", "hello", None, 1.0)
    (chat,) = messages(effects, protocol.Chat)
    assert chat.message.message.sender_name == "grace hopper (2)"


def test_the_same_person_in_two_tabs_is_numbered(classroom: Classroom) -> None:
    a = joined(classroom, person("Ada"), 0.0)
    b = joined(classroom, person("Ada"), 0.0)
    assert (a.name, b.name) == ("Ada", "Ada (2)")


# -- names people choose -----------------------------------------------------


def test_a_chosen_name_and_colour_replace_the_placeholder(classroom: Classroom) -> None:
    effects = classroom.join(anonymous("u1"), 0.0, name=" Ada\n", color="#00AA11")
    p = effects.participant
    assert p is not None
    assert errors(effects) == []
    info = p.info()
    assert (info.name, info.color, info.initials) == ("Ada", "#00aa11", "AD")
    welcome = classroom.welcome(p.id)
    assert welcome.naming is True


def test_a_bad_chosen_name_or_colour_is_refused_and_the_join_goes_on(classroom: Classroom) -> None:
    effects = classroom.join(
        anonymous("u1", "Anonymous Io"), 0.0, name="\u202e", color="url(http://x)"
    )
    p = effects.participant
    assert p is not None and p.id in classroom.participants
    assert sorted(e.code for e in errors(effects)) == [ErrorCode.BAD_COLOR, ErrorCode.BAD_NAME]
    # The errors go to the joiner alone.
    assert all(
        o.to == frozenset({p.id})
        for o in effects.messages
        if isinstance(o.message, protocol.Error)
    )
    assert p.info().name == "Anonymous Io"
    assert p.info().color == colour_of("u1")


def test_the_hosts_name_wins(classroom: Classroom) -> None:
    named = Identity.from_host("ada", "Ada Lovelace", named_by_host=True)
    effects = classroom.join(named, 0.0, name="Someone Else", color="#123456")
    p = effects.participant
    assert p is not None
    assert p.info().name == "Ada Lovelace"
    assert p.info().color == colour_of("ada")
    assert errors(effects) == []  # a stored choice is set aside quietly; the welcome says why
    assert classroom.welcome(p.id).naming is False
    with pytest.raises(ClassroomError) as e:
        classroom.set_profile(p.id, name="Eve")
    assert e.value.code == ErrorCode.NAME_FROM_HOST
    assert p.info().name == "Ada Lovelace"


def test_a_name_changes_live_and_stays_apart(classroom: Classroom) -> None:
    a = joined(classroom, anonymous("u1"), 0.0, name="Ada")
    b = joined(classroom, anonymous("u2"), 0.0)
    effects = classroom.set_profile(b.id, name="ADA", color="#abcdef")
    updated = [
        o.message for o in effects.messages if isinstance(o.message, protocol.ParticipantUpdated)
    ]
    assert len(updated) == 1 and updated[0].participant.name == "ADA (2)"
    assert updated[0].participant.color == "#abcdef"
    assert a.name == "Ada"
    # Nothing changes on a refusal.
    for kwargs, code in (
        ({"name": "x" * 99}, ErrorCode.BAD_NAME),
        ({"color": "blue"}, ErrorCode.BAD_COLOR),
    ):
        with pytest.raises(ClassroomError) as e:
            classroom.set_profile(b.id, **kwargs)
        assert e.value.code == code
    assert (b.info().name, b.info().color) == ("ADA (2)", "#abcdef")
    # The same again changes nothing and tells nobody.
    assert classroom.set_profile(b.id, name="ADA").messages == []


def test_a_resumed_participant_keeps_their_number() -> None:
    import json

    from jupyter_classroom.classroom import ClassroomMap

    from .conftest import MAP_FILE

    classroom = Classroom(
        ClassroomMap.from_tiled(json.loads(MAP_FILE.read_text())),
        ClassroomSettings(),
        random.Random(3),
    )
    classroom.join(anonymous("u1"), 0.0, name="Ada")
    b = joined(classroom, anonymous("u2"), 0.0, name="Ada")
    classroom.disconnect(b.id, 1.0)
    again = joined(classroom, anonymous("u2"), 2.0, resume=b.resume, name="Ada")
    assert again is b and b.name == "Ada (2)"


def test_a_name_is_free_again_once_its_holder_leaves_or_renames(classroom: Classroom) -> None:
    a = joined(classroom, anonymous("u1"), 0.0, name="Ada")
    b = joined(classroom, anonymous("u2"), 0.0, name="Ada")
    assert b.name == "Ada (2)"
    classroom.leave(a.id)
    assert joined(classroom, anonymous("u3"), 0.0, name="Ada").name == "Ada"
    classroom.set_profile(b.id, name="Grace")
    assert b.name == "Grace"
    assert joined(classroom, anonymous("u4"), 0.0, name="Ada").name == "Ada (2)"
