"""assistant.privacy.mask: CPR numbers, e-mail addresses and phone numbers, and what it leaves."""

from __future__ import annotations

import pytest

from assistant.privacy import is_cpr, mask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mit CPR er 311299-9999", "Mit CPR er [CPR]"),
        ("cpr 3112999999", "cpr [CPR]"),
        ("CPR:010170-1234.", "CPR:[CPR]."),
        ("cpr311299-1234", "cpr[CPR]"),
        ("311299 9999", "[CPR]"),
        ("290200-4123", "[CPR]"),  # 29 Feb 2000 (7th digit 4, year 00: the 2000s)
        ("skriv til jens.hansen@regionh.dk!", "skriv til [e-mail]!"),
        ("Ring 12345678", "Ring [telefon]"),
        ("Ring 12 34 56 78 nu", "Ring [telefon] nu"),
        ("Ring 1234 5678", "Ring [telefon]"),
        ("12-34-56-78", "[telefon]"),
        ("12.34.56.78", "[telefon]"),
        ("tlf.12345678", "tlf.[telefon]"),
        ("ring +45 12 34 56 78", "ring [telefon]"),
        ("ring +4512345678", "ring [telefon]"),
        ("0045 12345678", "[telefon]"),
        ("+46 8 123 456 78", "[telefon]"),
        ("0049 30 1234567", "[telefon]"),
    ],
)
def test_masks_personal_data(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ordrenr 3312345690",  # 10 digits that are not a date: not a CPR number
        "300299-1234",  # 30 February
        "290201-4123",  # 29 February 2001
        "konto 123456789012",
        "strategi 2020-2024",
        "i 2020 2024",
        "beløb 12 345 678 kr",
        "1.234.567 kr",
        "3.14159265",
        "dato 12-03-2024 og 12.03.2024",
        "regionernes-sundheds-it#3-12345678",  # a chunk id whose hash is all digits
        "rsi#12-31129999",
        "over 40 fællesregionale projekter siden 2010",
        "a@b.c",
        "",
    ],
)
def test_leaves_ordinary_text_alone(text):
    assert mask(text) == text


def test_cpr_date_rule_uses_the_century_digit():
    assert is_cpr("0101001234")  # 1 Jan 1900
    assert is_cpr("2902004123")  # 2000 is a leap year
    assert not is_cpr("2902001234")  # 1900 was not
    assert not is_cpr("3213001234") and not is_cpr("123456789") and not is_cpr("12345678ab")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Leverandørens CVR-nr. 29189846 står på fakturaen.", False),
        ("cvr 29189846", False),
        ("CVR: 29 18 98 46", False),
        ("P-nr.: 10033883", False),
        ("Ring til mig på 29189846.", True),
        ("tlf. 29189846", True),
        ("Mit kontonummer er 12345678", True),  # not a register label: masked, to be safe
        # "se" (see) and "P" alone label nothing: a phone number stays masked.
        ("Tlf. A: 87654321, P: 20304050", True),
        ("Har du spørgsmål, se 20 30 40 50.", True),
        ("p 12345678", True),
        ("SE-nr 12345678", False),
    ],
)
def test_a_company_register_number_is_no_phone_number(text, masked):
    assert ("[telefon]" in mask(text)) is masked
