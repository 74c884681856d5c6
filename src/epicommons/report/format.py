"""Numbers for people: thousands separators, percentages for shares, whole counts, no 3.77e+03.

The one formatter used by the HTML reports, chart axes, the CLI summaries and the hub's pages.

>>> number(3771.4), number(0.32291), percent(0.323), count(3.82e6), tick(2e7)
('3,771', '0.323', '32%', '3,820,000', '20 million')
"""

from __future__ import annotations

import math
from collections.abc import Iterable

DIGITS = 3  # significant digits shown for numbers below 1,000
MAX_DECIMALS = 4  # below 0.0001 a number reads as "<0.0001"
UNITS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))  # large numbers in words


def _finite(value: object) -> float | None:
    """The value as a float, or None when it is missing, NaN or not a number."""
    if value is None or isinstance(value, bool | str):
        return None
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def decimals(value: float, digits: int = DIGITS) -> int:
    """Decimals that show `digits` significant digits of `value` (none from 1,000 up)."""
    if value == 0 or not math.isfinite(value):
        return 0
    return min(MAX_DECIMALS, max(0, digits - 1 - math.floor(math.log10(abs(value)))))


def fixed(value: object, places: int = 0, missing: str = "") -> str:
    """`value` with thousands separators and exactly `places` decimals; `missing` if none."""
    x = _finite(value)
    if x is None:
        return missing
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    text = f"{x:,.{places}f}"
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def number(value: object, digits: int = DIGITS, missing: str = "") -> str:
    """A measured quantity: 3 significant digits below 1,000, whole with separators above.

    >>> number(0.0000052), number(-12345.6), number(float("nan"), missing="–")
    ('<0.0001', '-12,346', '–')
    """
    x = _finite(value)
    if x is None or math.isinf(x):
        return fixed(x, missing=missing)
    places = decimals(x, digits)
    text = fixed(x, places)
    if x != 0 and float(text.replace(",", "")) == 0:
        smallest = f"{10.0**-MAX_DECIMALS:.{MAX_DECIMALS}f}"
        return f"<{smallest}" if x > 0 else f">-{smallest}"
    return text


def count(value: object, missing: str = "") -> str:
    """Something counted (people, doses, flights): a whole number with separators."""
    return fixed(value, 0, missing)


def percent(value: object, missing: str = "") -> str:
    """A share in [0, 1] as a whole percentage; never rounds a partial share to 0% or 100%.

    >>> percent(0.004), percent(0.9996), percent(1.0), percent(0.323)
    ('<1%', '>99%', '100%', '32%')
    """
    x = _finite(value)
    if x is None:
        return missing
    if 0 < x < 0.005:
        return "<1%"
    if 0.995 <= x < 1:
        return ">99%"
    return f"{x:.0%}"


def tick(value: float, _pos: object = None) -> str:
    """An axis label: '250,000', '20 million', '0.25'; as short as the value allows."""
    x = float(value)
    big = unit(x)
    return f"{_shortest(x / big[0])} {big[1]}" if big else _shortest(x)


def unit(value: float) -> tuple[float, str] | None:
    """The largest of UNITS that `value` reaches, e.g. (1e6, "million"); None below a million."""
    return next(((size, word) for size, word in UNITS if abs(value) >= size), None)


def percent_tick(value: float, _pos: object = None) -> str:
    """An axis label for a share: '25%'."""
    return f"{_shortest(100 * float(value))}%"


def common_decimals(values: Iterable[object], digits: int = DIGITS) -> int:
    """Decimals for a column: enough for `digits` significant digits of its typical value.

    Whole-number columns get none; the typical value is the median magnitude of the non-zero
    entries, so one tiny or huge entry does not set the whole column.
    """
    xs = [abs(x) for x in (_finite(v) for v in values) if x is not None and math.isfinite(x)]
    if all(x == int(x) for x in xs):
        return 0
    nonzero = sorted(x for x in xs if x > 0)
    return decimals(nonzero[len(nonzero) // 2], digits) if nonzero else 0


def _shortest(x: float) -> str:
    """x with separators and the fewest decimals (up to 4) that keep its value."""
    text = f"{x:,.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
