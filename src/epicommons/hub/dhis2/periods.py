"""DHIS2 periods (daily `20201101`, ISO weekly `2020W45`, monthly `202011`, and ADX's
`2020-11-02/P7D`) and the rule that puts a period's value on one hub date.

The rule: a period's value is stored on the period's first day (DHIS2's own `startDate`), the
Monday of an ISO week, the first of a month. The first day, not the last, because the hub refuses
dates after tomorrow and members report the current week before it ends. Reading back, a date is
shown as a period of the data set's type when it is that type's first day, else as a day.
"""

from __future__ import annotations

import datetime as dt
import re

from ..mapping import PeriodType

DAILY = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
WEEKLY = re.compile(r"(\d{4})W(\d{1,2})", re.ASCII)
MONTHLY = re.compile(r"(\d{4})(\d{2})", re.ASCII)
ADX = re.compile(r"(\d{4}-\d{2}-\d{2})/P(1D|7D|1M)", re.ASCII)
ADX_TYPE: dict[str, PeriodType] = {"1D": "Daily", "7D": "Weekly", "1M": "Monthly"}
ADX_DURATION = {v: k for k, v in ADX_TYPE.items()}


def parse_period(text: str) -> tuple[PeriodType, dt.date]:
    """The type and first day of a DHIS2 ISO period; ValueError names what is wrong."""
    try:
        if m := DAILY.fullmatch(text):
            return "Daily", dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := WEEKLY.fullmatch(text):
            return "Weekly", dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
        if m := MONTHLY.fullmatch(text):
            return "Monthly", dt.date(int(m[1]), int(m[2]), 1)
    except ValueError:
        raise ValueError(f"no such period {text!r}") from None
    raise ValueError(
        f"period {text!r} is not daily (yyyyMMdd), weekly (yyyyWn) or monthly (yyyyMM)"
    )


def parse_adx_period(text: str) -> tuple[PeriodType, dt.date]:
    """The type and first day of an ADX period `start/duration` (P1D, P7D from a Monday, P1M
    from the first of a month)."""
    m = ADX.fullmatch(text)
    if m is None:
        raise ValueError(f"ADX period {text!r} is not yyyy-MM-dd/P1D, /P7D or /P1M")
    try:
        start = dt.date.fromisoformat(m[1])
    except ValueError:
        raise ValueError(f"no such date in ADX period {text!r}") from None
    kind = ADX_TYPE[m[2]]
    if kind == "Weekly" and start.isoweekday() != 1:
        raise ValueError(f"ADX period {text!r}: an ISO week starts on a Monday")
    if kind == "Monthly" and start.day != 1:
        raise ValueError(f"ADX period {text!r}: a month starts on its first day")
    return kind, start


def render(kind: PeriodType, start: dt.date) -> str:
    """The DHIS2 ISO period of `kind` that starts on `start`."""
    if kind == "Daily":
        return start.strftime("%Y%m%d")
    if kind == "Weekly":
        year, week, _ = start.isocalendar()
        return f"{year}W{week}"
    return start.strftime("%Y%m")


def render_adx(kind: PeriodType, start: dt.date) -> str:
    """The ADX period of `kind` that starts on `start`."""
    return f"{start.isoformat()}/P{ADX_DURATION[kind]}"


def starts(kind: PeriodType, day: dt.date) -> bool:
    """Whether `day` is the first day of a period of `kind` (the date its value is stored on)."""
    if kind == "Weekly":
        return day.isoweekday() == 1
    if kind == "Monthly":
        return day.day == 1
    return True


def shown_as(kind: PeriodType, day: dt.date) -> PeriodType:
    """The period type a stored date is shown as, in a data set of `kind`."""
    return kind if starts(kind, day) else "Daily"
