"""Identifiers masked for pages: enough to tell people apart, not to contact them."""

import pytest

from consent.masking import mask_email, mask_name, mask_phone


@pytest.mark.parametrize(
    ("email", "masked"),
    [("jane.doe@example.com", "j***@example.com"), ("j@example.org", "j***@example.org"), ("", ""), (None, "")],
)
def test_email(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+442079460000", "+44 ******0000"),
        ("+4930231251234", "+49 *******1234"),
        ("+12015550123", "+1 ******0123"),
        ("", ""),
        (None, ""),
    ],
)
def test_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(("name", "masked"), [("Jane Doe", "J***"), ("  émile ", "é***"), ("", ""), (None, "")])
def test_name(name, masked):
    assert mask_name(name) == masked


def test_no_masked_form_holds_more_than_four_digits_of_a_phone():
    masked = mask_phone("+447700900123")

    assert sum(character.isdigit() for character in masked.split(" ", 1)[1]) == 4
