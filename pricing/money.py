"""Rounding and display of NOK amounts. Decimal only: a float never touches money.

Numbers are formatted by hand: two fixed styles need no locale data, and quotes stay cheap.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

WHOLE_KRONER = Decimal(1)


def decimal_text(number: Decimal) -> str:
    """One spelling per value ("0.5", never "0.50" or "5E-1"), so hashes and diffs are stable."""
    normal = number.normalize()
    if normal == normal.to_integral_value():
        return str(int(normal))
    return format(normal, "f")


def tidy(number: Decimal) -> Decimal:
    """The same value without trailing zeros: a factor of 1.0 × 1.25 reads 1.25, not 1.250."""
    return Decimal(decimal_text(number))


def round_kroner(amount: Decimal) -> Decimal:
    """Half up to whole kroner, as each quote line is rounded."""
    return amount.quantize(WHOLE_KRONER, rounding=ROUND_HALF_UP)


def number_nb(value: Decimal | int) -> str:
    """Norwegian digits: 4 293,75 (no-break space between thousands, decimal comma)."""
    return format(tidy(Decimal(value)), ",f").replace(",", "\u00a0").replace(".", ",")


def number_en(value: Decimal | int) -> str:
    return format(tidy(Decimal(value)), ",f")


def kr_nb(amount: Decimal) -> str:
    return f"{number_nb(amount)} kr"


def kr_en(amount: Decimal) -> str:
    return f"NOK {number_en(amount)}"


def percent(share: Decimal) -> str:
    """0.25 -> "25 %" (Norwegian style, also readable in English)."""
    return f"{number_nb(share * 100)} %"
