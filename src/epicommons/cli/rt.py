"""`epicommons rt`: the time-varying reproduction number of every country in a case file."""

from __future__ import annotations

import functools
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from epicommons.errors import InputError


def _int_list(text: str, option: str) -> list[int]:
    values = []
    for item in text.split(","):
        item = item.strip()
        try:
            values.append(int(item))
        except ValueError:
            raise InputError(
                f"expected comma-separated day numbers, got {item!r}", field=option
            ) from None
    return values


def _countries(values: list[str]) -> list[str]:
    from epicommons.world.countries import registry

    reg = registry()
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return [reg.resolve(name, field="--country") for name in names]


def rt(
    input: Path = typer.Argument(..., help="Case file: JHU confirmed CSV, OWID CSV or tidy CSV."),
    out: Path = typer.Option(..., "--out", help="Output CSV of Rt per country and window."),
    format: str | None = typer.Option(
        None, "--format", help="jhu, owid or tidy (default: detected from the header)."
    ),
    country: list[str] = typer.Option(
        [], "--country", help="Only these countries (ISO3 or name; repeat or comma-separate)."
    ),
    si_mean: float | None = typer.Option(None, "--si-mean", help="Serial interval mean (days)."),
    si_sd: float | None = typer.Option(None, "--si-sd", help="Serial interval sd (days)."),
    si_distr: Path | None = typer.Option(
        None, "--si-distr", help="Serial interval CSV with columns k,w (k from 0, w[0] = 0)."
    ),
    window: int | None = typer.Option(
        None, "--window", help="Sliding window length in days (default 7)."
    ),
    t_start: str | None = typer.Option(None, "--t-start", help="Window starts, e.g. 2,9,16."),
    t_end: str | None = typer.Option(None, "--t-end", help="Window ends, e.g. 8,15,22."),
    prior_mean: float = typer.Option(5.0, "--prior-mean", help="Gamma prior mean of R."),
    prior_sd: float = typer.Option(5.0, "--prior-sd", help="Gamma prior sd of R."),
    method: str = typer.Option("cori", "--method", help="cori or wallinga-teunis."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Also draw Rt with credible bands per country (.png or .svg)."
    ),
    negatives: str = typer.Option(
        "auto",
        "--negatives",
        help="Negative daily counts: auto (zero for JHU increments, error for stated counts), "
        "zero, backfill or error.",
    ),
    gaps: str = typer.Option("zero", "--gaps", help="Missing days or empty cells: zero or error."),
    duplicates: str = typer.Option(
        "error", "--duplicates", help="Duplicated dates: error, sum or last."
    ),
    report: Path | None = typer.Option(
        None,
        "--report",
        help="FILE.html: an offline HTML report (Rt charts, latest Rt table and map, cleaning "
        "record); FILE.csv: the cleaning report (every change made) as CSV.",
    ),
    n_sim: int = typer.Option(100, "--n-sim", help="Simulations for Wallinga-Teunis intervals."),
    seed: int = typer.Option(0, "--seed", help="Random seed for Wallinga-Teunis simulations."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress or summary on stderr."),
) -> None:
    """Estimate Rt per country (Cori et al. 2013, as EpiEstim 2.2.4; or Wallinga-Teunis).

    OUT.csv columns: country, t_start, t_end, date_start, date_end, mean, std, q0.025, q0.05,
    q0.25, q0.5, q0.75, q0.95, q0.975 (country and dates only when the input has them; empty
    windows left blank). Only cases are read (a JHU deaths file beside the input is not).

    Example:  epicommons rt time_series_covid19_confirmed_global.csv --out rt.csv --country ITA --si-mean 4.7 --si-sd 2.9
    """
    # Imported here: every `epicommons` command loads this module. The path from a JHU file to
    # OUT.csv imports neither pandas nor matplotlib (0.25 s and more of start-up).
    from epicommons.surveillance.cleaning import (
        DUPLICATE_RULES,
        GAP_RULES,
        NEGATIVE_RULES,
        CleaningRules,
    )
    from epicommons.surveillance.estimate import METHODS, estimate_rt_columns, rt_frame
    from epicommons.surveillance.output import write_csv_atomically
    from epicommons.surveillance.readers import FORMATS, read_cases
    from epicommons.surveillance.serial_interval import read_si_distr

    if format is not None and format not in FORMATS:
        raise InputError(
            f"unknown format {format!r}; expected one of {', '.join(FORMATS)}", field="--format"
        )
    if method not in METHODS:
        raise InputError(
            f"unknown method {method!r}; expected one of {', '.join(METHODS)}", field="--method"
        )
    for option, value, allowed in (
        ("--negatives", negatives, NEGATIVE_RULES),
        ("--gaps", gaps, GAP_RULES),
        ("--duplicates", duplicates, DUPLICATE_RULES),
    ):
        if value not in allowed:
            raise InputError(
                f"unknown rule {value!r}; expected one of {', '.join(allowed)}", field=option
            )
    if si_distr is not None and (si_mean is not None or si_sd is not None):
        raise InputError("give --si-mean and --si-sd, or --si-distr, not both", field="--si-distr")
    if si_distr is None and (si_mean is None or si_sd is None):
        raise InputError(
            "give the serial interval: --si-mean M --si-sd S, or --si-distr FILE",
            field="--si-mean" if si_mean is None else "--si-sd",
        )
    if (t_start is None) != (t_end is None):
        raise InputError(
            "give both --t-start and --t-end", field="--t-end" if t_end is None else "--t-start"
        )
    if t_start is not None and window is not None:
        raise InputError("give --window or --t-start/--t-end, not both", field="--window")
    starts = _int_list(t_start, "--t-start") if t_start is not None else None
    ends = _int_list(t_end, "--t-end") if t_end is not None else None
    if starts is not None and ends is not None and len(starts) != len(ends):
        raise InputError(
            f"--t-start has {len(starts)} days but --t-end has {len(ends)}", field="--t-end"
        )
    from epicommons._files import check_output

    check_output(out, "file", suffixes=(".csv",))
    if plot is not None:
        check_output(plot, "file", option="--plot", suffixes=(".png", ".svg"))
    html = report is not None and report.suffix.lower() in (".html", ".htm")
    if report is not None:
        check_output(report, "file", option="--report", suffixes=(".html", ".htm", ".csv"))
    selected = _countries(country) if country else None
    w = read_si_distr(si_distr) if si_distr is not None else None

    console = Console(stderr=True, quiet=quiet)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    ) as progress:
        task = progress.add_task("reading cases", total=4)
        cases = read_cases(
            input,
            format,  # type: ignore[arg-type]
            rules=CleaningRules(negatives, gaps, duplicates),  # type: ignore[arg-type]
            with_deaths=False,
        )
        progress.update(task, advance=1, description="estimating Rt")
        try:
            columns = estimate_rt_columns(
                cases,
                si_mean=si_mean,
                si_sd=si_sd,
                si_distr=w,
                window=window or 7,
                t_start=starts,
                t_end=ends,
                prior_mean=prior_mean,
                prior_sd=prior_sd,
                method=method,
                countries=selected,
                n_sim=n_sim,
                seed=seed,  # type: ignore[arg-type]
            )
        except InputError as exc:
            if exc.source is None and exc.field in {
                "t_start",
                "t_end",
                "window",
                "si_mean",
                "si_sd",
                "prior_mean",
                "prior_sd",
                "si_distr",
            }:
                raise InputError(exc.message, field=f"--{exc.field.replace('_', '-')}") from None
            raise
        # the DataFrame only for the report and the plot (built once, on first use)
        frame = functools.cache(lambda: rt_frame(columns))
        page = None
        if html:
            progress.update(task, description="drawing the report")
            page = _report_page(frame(), cases, method, input)
        progress.update(task, advance=1, description="writing")
        write_csv_atomically(columns, out)
        if report is not None and not html:
            write_csv_atomically(cases.report.to_frame(), report, option="--report")
        progress.update(task, advance=1, description="plotting")
        if plot is not None:
            from epicommons.surveillance.plot import plot_rt

            plot_rt(frame(), plot)
        if page is not None:
            from epicommons.report.target import write_page

            write_page(page, report)
        progress.update(task, advance=1)
    n_countries = len(set(columns["country"].tolist())) if "country" in columns else 1
    n_windows = len(columns["t_start"])
    console.print(f"cleaning: {cases.report.summary()}", soft_wrap=True)
    console.print(f"wrote {n_windows} windows for {n_countries} series to {out}", soft_wrap=True)
    if html:
        console.print(f"wrote the report to {report}", soft_wrap=True)


def _report_page(frame, cases, method: str, input: Path):
    """The HTML report of this run: Rt charts, latest table and map, the cleaning record."""
    from epicommons.report.rt import rt_page
    from epicommons.world.countries import registry

    return rt_page(
        frame,
        cases=cases.table if cases.has_country else None,
        cleaning=cases.report.to_frame(),
        names={c.iso3: c.name for c in registry()},
        method=method,
        source=input.name,
    )
