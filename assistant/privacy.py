"""Mask personal data in free text before it is stored or logged: ``mask(text)``.

What is masked, and the rules (all numbers must stand alone: a digit, letter,
``-``, ``/`` or ``#`` right before or after means the digits belong to something
else, such as a chunk id ``doc#3-12345678``, a date ``12-03-2024`` or an amount
``1.234.567``):

- **CPR numbers** -> ``[CPR]``: ``ddmmyy-xxxx``, ``ddmmyy xxxx`` or ``ddmmyyxxxx``
  whose first six digits are a real calendar date, with the century taken from
  the seventh digit as the CPR register does (0-3: 1900s; 4 and 9: 2000s up to
  year 36, else 1900s; 5-8: 2000s up to year 57, else 1800s). The check digit is
  not tested: CPR numbers issued since 2007 need not satisfy modulus 11. A
  10-digit number that is not a date (an order number, a phone number with a
  two-digit extension such as ``3312345690``) is left alone; one that happens to
  be a date is masked, erring on the side of privacy.
- **E-mail addresses** -> ``[e-mail]``.
- **Phone numbers** -> ``[telefon]``: Danish 8-digit numbers, written together
  or grouped 2-2-2-2 or 4-4 with spaces, hyphens or dots, with or without
  ``+45``/``0045``; and international numbers written with ``+`` or ``00`` and a
  country code (``+46 8 123 456 78``, ``0049 30 1234567``): 7 to 15 digits.
  Amounts grouped in threes (``12 345 678``) and years (``2024``) are not phone
  numbers, nor is an 8-digit number that its label names a CVR or P-number
  (``CVR-nr. 29189846``, ``P-nr.: 10033883``): a company's
  register number is public, and masking it as a phone number would mislabel it.
  An 8-digit date (``20240501``) is masked: Danish mobile numbers start with 20 too.
"""

from __future__ import annotations

import datetime as dt
import re

CPR_MASK = "[CPR]"
EMAIL_MASK = "[e-mail]"
PHONE_MASK = "[telefon]"

# A number must stand alone: no digit, "-", "/", "#" or "+" right before it and no
# "digit." either (ids, dates, decimals, longer numbers); none of those, nor ".5"
# or ",5", right after. Phone numbers must not touch letters either; a CPR number
# may ("cpr311299-1234").
_NUM_BEFORE = r"(?<![\d\-/#+])(?<!\d[.,])"
_NUM_AFTER = r"(?![\d\-/#]|[.,]\d)"
_WORD_BEFORE = r"(?<![^\W\d])"  # no letter before
_WORD_AFTER = r"(?![^\W\d])"

_CPR = re.compile(_NUM_BEFORE + r"(\d{2})(\d{2})(\d{2})[- ]?(\d{4})" + _NUM_AFTER)
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_PHONE_DK = re.compile(
    _NUM_BEFORE
    + _WORD_BEFORE
    + r"(?:(?:\+|00)45[ \-]?)?"
    + r"(?:\d{8}|\d{2}([ .\-])\d{2}\1\d{2}\1\d{2}|(\d{4}) (\d{4}))"
    + _NUM_AFTER
    + _WORD_AFTER
)
# "+" or "00", a country code, then groups: 7-15 digits in all (E.164).
_PHONE_INTL = re.compile(
    _NUM_BEFORE
    + _WORD_BEFORE
    + r"(?:\+|00)[1-9]\d{0,2}(?:[ \-.]?\(?\d{1,4}\)?){2,6}"
    + _NUM_AFTER
    + _WORD_AFTER
)


def _century(year: int, seventh: int) -> int:
    if seventh <= 3:
        return 1900
    if seventh in (4, 9):
        return 2000 if year <= 36 else 1900
    return 2000 if year <= 57 else 1800


def is_cpr(digits: str) -> bool:
    """Does a 10-digit string look like a CPR number (a real date, then four digits)?"""
    if len(digits) != 10 or not digits.isdigit():
        return False
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    try:
        dt.date(_century(year, int(digits[6])) + year, month, day)
    except ValueError:
        return False
    return True


def _cpr(match: re.Match) -> str:
    return CPR_MASK if is_cpr("".join(match.groups())) else match.group(0)


# "CVR 12345678", "CVR-nr.: 12345678", "cvr nummer 12345678", "P-nr. 12345678": the
# label right before the number says what it is.
_REGISTER_LABEL = re.compile(
    r"\b(?:cvr(?:[\s.-]*(?:nr|nummer|no|number))?|(?:se|p)[\s.-]*(?:nr|nummer))[\s.:-]*$",
    re.I,
)


def _dk(match: re.Match) -> str:
    first, second = match.group(2), match.group(3)
    if first and 1900 <= int(first) <= 2099 and 1900 <= int(second) <= 2099:
        return match.group(0)  # "2020 2024": two years, not a phone number
    before = match.string[max(0, match.start() - 20) : match.start()]
    if _REGISTER_LABEL.search(before):
        return match.group(0)  # a company's register number, public
    return PHONE_MASK


def _intl(match: re.Match) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return PHONE_MASK if 7 <= digits <= 15 else match.group(0)


def mask(text: str) -> str:
    """``text`` with CPR numbers, e-mail addresses and phone numbers replaced by a tag."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _CPR.sub(_cpr, text)
    text = _PHONE_INTL.sub(_intl, text)
    return _PHONE_DK.sub(_dk, text)
