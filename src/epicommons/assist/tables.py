"""Reading the CSV tables of assistance problems: typed columns, errors naming file, line and field.

Tables are read whole with pandas, then checked column by column (vectorised); the first bad cell
is reported as `file, line N, field 'col'` where line 1 is the header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from epicommons.errors import InputError


def read_csv(path: Path, required: Iterable[str], optional: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV as strings, check the header has the required columns, strip whitespace."""
    if not path.is_file():
        raise InputError("file not found", source=path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV table ({exc})", source=path) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError("empty file, expected a header line", source=path) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        expected = ", ".join([*required, *[f"[{c}]" for c in optional]])
        raise InputError(
            f"missing column {missing[0]!r}; expected columns {expected}", source=path, line=1
        )
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
    return frame


def line_of(frame: pd.DataFrame, position: int) -> int:
    """File line of the row at `position` (header is line 1)."""
    return int(frame.index[position]) + 2


def numbers(
    frame: pd.DataFrame,
    column: str,
    path: Path,
    *,
    default: float | None = None,
    minimum: float | None = 0.0,
    integer: bool = False,
    check: Callable[[np.ndarray], np.ndarray] | None = None,
    expected: str = "",
) -> np.ndarray:
    """Column as float64 (blank -> default); the first non-number or out-of-range cell raises."""
    if column not in frame.columns:
        if default is None:
            raise InputError(f"missing column {column!r}", source=path, line=1)
        return np.full(len(frame), default, dtype=float)
    raw = frame[column]
    blank = (raw == "").to_numpy()
    values = pd.to_numeric(raw.where(~blank, None), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if default is not None:
        values[blank] = default
        bad &= ~blank
    what = expected or ("a whole number" if integer else "a number")
    if minimum is not None:
        what_min = f"{what} >= {minimum:g}"
        bad_min = ~bad & (values < minimum) & ~(blank & (default is not None))
    else:
        what_min, bad_min = what, np.zeros_like(bad)
    if integer:
        bad |= ~bad & (values != np.round(values))
    if check is not None:
        bad_min |= ~bad & ~check(values)
    for mask, text in ((bad, what), (bad_min, what_min)):
        if mask.any():
            pos = int(np.flatnonzero(mask)[0])
            got = raw.iloc[pos]
            raise InputError(
                f"expected {text}, got {got!r}" if got else f"expected {text}, got a blank",
                source=path,
                line=line_of(frame, pos),
                field=column,
            )
    return values


def codes(
    frame: pd.DataFrame, column: str, known: dict[str, int], path: Path, what: str
) -> np.ndarray:
    """Map a label column to indices through `known`; an unknown label raises naming the row."""
    raw = frame[column]
    idx = raw.map(known)
    missing = idx.isna().to_numpy()
    if missing.any():
        pos = int(np.flatnonzero(missing)[0])
        label = raw.iloc[pos]
        hint = f"; known: {', '.join(list(known)[:8])}{', ...' if len(known) > 8 else ''}"
        raise InputError(
            f"unknown {what} {label!r}{hint}" if label else f"expected a {what}, got a blank",
            source=path,
            line=line_of(frame, pos),
            field=column,
        )
    return idx.to_numpy(dtype=np.int64)


def duplicates(frame: pd.DataFrame, keys: list[str], path: Path) -> None:
    """Raise on the first row whose key columns repeat an earlier row."""
    dup = frame.duplicated(subset=keys, keep="first").to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        key = ", ".join(f"{k}={frame[k].iloc[pos]!r}" for k in keys)
        raise InputError(
            f"duplicate row for {key}", source=path, line=line_of(frame, pos), field=keys[0]
        )


def at_most(
    frame: pd.DataFrame,
    column: str,
    path: Path,
    values: np.ndarray,
    limit: np.ndarray | float,
    why: Callable[[int], str],
) -> None:
    """Raise on the first row whose value exceeds its limit; `why(pos)` says what the limit is."""
    limit = np.broadcast_to(np.asarray(limit, dtype=float), values.shape)
    bad = values > limit * (1 + 1e-12)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"expected at most {limit[pos]:,.0f} ({why(pos)}), got {frame[column].iloc[pos]}",
            source=path,
            line=line_of(frame, pos),
            field=column,
        )
