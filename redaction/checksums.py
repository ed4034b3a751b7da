"""Check digits and number-plan rules: Luhn (cards), ABA routing, US SSN, NANP phone numbers."""

from __future__ import annotations


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (only 0-9) passes the Luhn check (payment card numbers)."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_complete(prefix: str) -> str:
    """``prefix`` with the Luhn check digit appended."""
    for d in "0123456789":
        if luhn_valid(prefix + d):
            return prefix + d
    raise ValueError("prefix must be digits")


def aba_valid(digits: str) -> bool:
    """True when ``digits`` is a 9-digit ABA routing number with a valid check digit."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    d = [int(c) for c in digits]
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return total % 10 == 0 and digits[:2] not in ("00",)


def ssn_valid(digits: str) -> bool:
    """True when ``digits`` is a 9-digit SSN the SSA could issue (area, group and serial rules)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def nanp_valid(digits: str) -> bool:
    """True for a 10-digit NANP number (or 11 with a leading 1): NXX-NXX-XXXX."""
    if not digits.isdigit():
        return False
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10:
        return False
    return digits[0] not in "01" and digits[3] not in "01"
