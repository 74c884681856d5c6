"""The `rt` command's options as one validated object: every check before any data is read.

`rt_request` turns the parsed command line into an `RtRequest` (cleaning rules, estimation
settings as `surveillance.RtOptions`, output files) and renames the library's fields to the
options the user typed (`si_mean` → `--si-mean`). A dataclass, not pydantic: `epicommons rt`
must not pay for pydantic's import on its fast path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from epicommons.errors import InputError
from epicommons.surveillance.cleaning import CleaningRules
from epicommons.surveillance.options import RtOptions
from epicommons.surveillance.readers import FORMATS

OPTION = {
    "si_mean": "--si-mean",
    "si_sd": "--si-sd",
    "si_distr": "--si-distr",
    "window": "--window",
    "t_start": "--t-start",
    "t_end": "--t-end",
    "date_from": "--from",
    "date_to": "--to",
    "prior_mean": "--prior-mean",
    "prior_sd": "--prior-sd",
    "method": "--method",
    "n_sim": "--n-sim",
    "seed": "--seed",
    "negative": "--negatives",
    "gaps": "--gaps",
    "duplicates": "--duplicates",
    "stop_days": "--stop-days",
}


@contextmanager
def option_names() -> Iterator[None]:
    """Re-raise the library's errors about a setting under the option's name."""
    try:
        yield
    except InputError as exc:
        if exc.source is None and exc.field in OPTION:
            raise InputError(exc.message, field=OPTION[exc.field]) from None
        raise


@dataclass(frozen=True)
class RtRequest:
    """One `epicommons rt` run: what to read, how to clean and estimate, where to write."""

    input: Path
    out: Path
    format: str | None
    rules: CleaningRules
    options: RtOptions
    countries: list[str] | None
    plot: Path | None
    report: Path | None

    @property
    def html(self) -> bool:
        """The report is an HTML page (else the cleaning record as CSV)."""
        return self.report is not None and self.report.suffix.lower() in (".html", ".htm")


def _days(text: str | None, option: str) -> list[int] | None:
    if text is None:
        return None
    values = []
    for item in text.split(","):
        try:
            values.append(int(item.strip()))
        except ValueError:
            raise InputError(
                f"expected comma-separated day numbers, got {item.strip()!r}", field=option
            ) from None
    return values


def _countries(values: list[str]) -> list[str] | None:
    if not values:
        return None
    from epicommons.world.countries import registry

    reg = registry()
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    if not names:
        raise InputError(f"expected country names or codes, got {values!r}", field="--country")
    return [reg.resolve(name, field="--country") for name in names]


def _check_outputs(out: Path, plot: Path | None, report: Path | None) -> None:
    from epicommons._files import check_output

    check_output(out, "file", suffixes=(".csv",))
    if plot is not None:
        check_output(plot, "file", option="--plot", suffixes=(".png", ".svg"))
    if report is not None:
        check_output(report, "file", option="--report", suffixes=(".html", ".htm", ".csv"))


def rt_request(
    *,
    input: Path,
    out: Path,
    format: str | None,
    country: list[str],
    si_mean: float | None,
    si_sd: float | None,
    si_distr: Path | None,
    window: int | None,
    t_start: str | None,
    t_end: str | None,
    date_from: str | None,
    date_to: str | None,
    prior_mean: float,
    prior_sd: float,
    method: str,
    negatives: str,
    gaps: str,
    duplicates: str,
    stop_days: int,
    n_sim: int,
    seed: int,
    plot: Path | None,
    report: Path | None,
) -> RtRequest:
    """Validate every option of `epicommons rt` (the one function that does), in the order the
    user reads them in --help; the first problem is raised naming its option."""
    if format is not None and format not in FORMATS:
        raise InputError(
            f"unknown format {format!r}; expected one of {', '.join(FORMATS)}", field="--format"
        )
    with option_names():
        rules = CleaningRules(negatives, gaps, duplicates, stop_days)  # type: ignore[arg-type]
        distribution = None
        if si_distr is not None:
            from epicommons.surveillance.serial_interval import read_si_distr

            distribution = read_si_distr(si_distr)
        options = RtOptions(
            si_mean=si_mean,
            si_sd=si_sd,
            si_distr=distribution,
            window=window,
            t_start=_days(t_start, "--t-start"),
            t_end=_days(t_end, "--t-end"),
            date_from=date_from,
            date_to=date_to,
            prior_mean=prior_mean,
            prior_sd=prior_sd,
            method=method,
            n_sim=n_sim,
            seed=seed,
        )
    _check_outputs(out, plot, report)
    return RtRequest(input, out, format, rules, options, _countries(country), plot, report)
