"""Parsing helpers of the long-format readers: CSV access and cell checks naming line and field."""

from __future__ import annotations

from os import PathLike

import numpy as np
import pandas as pd

from epicommons.errors import InputError

ISO_DATE_FORMAT = "%Y-%m-%d"


def read_csv(path: str | PathLike[str], **kwargs: object) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, keep_default_na=False, encoding="utf-8-sig", **kwargs)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", source=str(path)) from exc
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"not a readable CSV file: {exc}", source=str(path)) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def numbers(values: pd.Series, *, source: str, field: str, lines: np.ndarray) -> np.ndarray:
    """Parse a column of counts; empty cells become NaN, anything else non-numeric is an error."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        out = values.to_numpy(dtype=float)
    else:
        text = values.astype(str).str.strip()
        parsed = pd.to_numeric(text.mask(text == ""), errors="coerce")
        bad = parsed.isna().to_numpy() & (text != "").to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"expected a count, got {text.iloc[i]!r}",
                source=source,
                line=int(lines[i]),
                field=field,
            )
        out = parsed.to_numpy(dtype=float)
    infinite = np.isinf(out)
    if infinite.any():
        i = int(np.flatnonzero(infinite)[0])
        raise InputError("expected a finite count", source=source, line=int(lines[i]), field=field)
    return out


def dates(values: pd.Series, *, source: str, field: str, lines: np.ndarray) -> np.ndarray:
    text = values.astype(str).str.strip()
    parsed = pd.to_datetime(text, format=ISO_DATE_FORMAT, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"expected a date YYYY-MM-DD, got {text.iloc[i]!r}",
            source=source,
            line=int(lines[i]),
            field=field,
        )
    return parsed.to_numpy()
