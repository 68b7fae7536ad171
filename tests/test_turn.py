"""TURN REST credentials, checked the way coturn checks them."""

import base64
import hashlib
import hmac

from jupyter_classroom.turn import turn_credentials, verify_turn_credentials


def test_credentials_verify_with_hmac_sha1() -> None:
    username, password = turn_credentials("s3cret", "alice", now=1_000_000, ttl=3600)
    assert username == "1003600:alice"
    expected = base64.b64encode(hmac.new(b"s3cret", username.encode(), hashlib.sha1).digest())
    assert password == expected.decode()
    assert verify_turn_credentials("s3cret", username, password, now=1_000_100)


def test_credentials_expire_and_depend_on_the_secret() -> None:
    username, password = turn_credentials("s3cret", "bob", now=0, ttl=60)
    assert not verify_turn_credentials("s3cret", username, password, now=61)
    assert not verify_turn_credentials("other", username, password, now=1)
    assert not verify_turn_credentials("s3cret", username, password + "x", now=1)


def test_a_colon_in_the_user_cannot_forge_an_expiry() -> None:
    username, _ = turn_credentials("s", "9999999999:eve", now=0, ttl=60)
    assert username == "60:9999999999_eve"
