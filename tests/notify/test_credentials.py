"""A channel's secrets (notify.credentials): sealed at rest, read from the environment, never shown in full."""

from __future__ import annotations

import pytest

from notify import credentials

KEY = "693a91f6-7a0c-4bc4-97a0-0ec2sifa5aaa"


def test_a_secret_is_stored_sealed_and_opened_again():
    stored = credentials.seal(KEY)

    assert stored.startswith("fernet:") and KEY not in stored
    assert credentials.unseal(stored) == KEY


def test_sealing_the_same_secret_twice_gives_two_different_values():
    # Fernet's random IV: the stored value says nothing about which channels share a key.
    assert credentials.seal(KEY) != credentials.seal(KEY)


def test_bankops_secrets_key_is_the_key_when_set_and_a_value_sealed_under_another_cannot_be_opened(settings):
    settings.BANKOPS_SECRETS_KEY = "first-key"
    stored = credentials.seal(KEY)
    settings.SECRET_KEY = "a-rotated-secret-key"  # SECRET_KEY rotated: the channels stay readable
    assert credentials.unseal(stored) == KEY

    settings.BANKOPS_SECRETS_KEY = "another-key"
    with pytest.raises(credentials.CredentialError, match="sealed under another key"):
        credentials.unseal(stored)


def test_env_name_is_kept_as_it_is_and_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("WECOM_GZ01_KEY", KEY)

    assert credentials.seal(" env:WECOM_GZ01_KEY ") == "env:WECOM_GZ01_KEY"
    assert credentials.unseal("env:WECOM_GZ01_KEY") == KEY


def test_a_missing_environment_variable_says_which(monkeypatch):
    monkeypatch.delenv("WECOM_GONE", raising=False)

    with pytest.raises(credentials.CredentialError, match="WECOM_GONE is not set"):
        credentials.unseal("env:WECOM_GONE")


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("", ""),
        ("env:WECOM_GZ01_KEY", "env:WECOM_GZ01_KEY"),
        ("fernet:not-a-token", "••••"),
        ("plain-text", "••••"),
    ],
)
def test_the_mask_shows_no_secret(stored, shown):
    assert credentials.mask(stored) == shown


def test_the_mask_shows_the_last_four_characters_of_a_sealed_secret_and_a_short_one_not_at_all():
    assert credentials.mask(credentials.seal(KEY)) == "••••5aaa"
    assert credentials.mask(credentials.seal("SEC12345")) == "••••"  # eight characters: nothing shown


@pytest.mark.parametrize("value", ["env:", "env:lower_case", "env:WITH-DASH", "env:9STARTS_WITH_A_DIGIT"])
def test_env_names_are_capitals_digits_and_underscores(value):
    assert credentials.env_name_problem(value)


def test_a_secret_that_is_no_env_reference_has_no_env_name_problem():
    assert credentials.env_name_problem(KEY) is None
    assert credentials.env_name_problem("env:WECOM_GZ01_KEY") is None


def test_an_env_reference_may_be_typed_in_capitals():
    assert credentials.seal("ENV:WECOM_GZ01_KEY") == "env:WECOM_GZ01_KEY"
    assert credentials.env_name_problem("ENV:WECOM_GZ01_KEY") is None
