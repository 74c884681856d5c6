"""`epicommons rt`: the time-varying reproduction number of every country in a case file."""

from __future__ import annotations

import functools
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

SI = "Serial interval (required: --si-mean and --si-sd, or --si-distr)"
WINDOWS = "Windows (default: sliding 7-day windows over the whole series)"
CLEANING = "Cleaning"
OUTPUTS = "Outputs"


def rt(
    input: Path = typer.Argument(..., help="Case file: JHU confirmed CSV, OWID CSV or tidy CSV."),
    out: Path = typer.Option(
        ...,
        "--out",
        help="Output CSV of Rt per country and window (required).",
        rich_help_panel=OUTPUTS,
    ),
    format: str | None = typer.Option(
        None, "--format", help="jhu, owid or tidy (default: detected from the header)."
    ),
    country: list[str] = typer.Option(
        [], "--country", help="Only these countries (ISO3 or name; repeat or comma-separate)."
    ),
    si_mean: float | None = typer.Option(
        None, "--si-mean", help="Gamma serial interval: mean in days (> 1).", rich_help_panel=SI
    ),
    si_sd: float | None = typer.Option(
        None, "--si-sd", help="Gamma serial interval: sd in days (> 0).", rich_help_panel=SI
    ),
    si_distr: Path | None = typer.Option(
        None,
        "--si-distr",
        help="Or a serial interval CSV with columns k,w (k from 0, w at k = 0 is 0).",
        rich_help_panel=SI,
    ),
    date_from: str | None = typer.Option(
        None,
        "--from",
        help="Only windows ending on or after this date (YYYY-MM-DD).",
        rich_help_panel=WINDOWS,
    ),
    date_to: str | None = typer.Option(
        None,
        "--to",
        help="Only windows ending on or before this date (YYYY-MM-DD).",
        rich_help_panel=WINDOWS,
    ),
    window: int | None = typer.Option(
        None,
        "--window",
        help="Sliding window length in days (default 7).",
        rich_help_panel=WINDOWS,
    ),
    t_start: str | None = typer.Option(
        None,
        "--t-start",
        help="Or explicit window starts as day numbers (day 1 = first day), e.g. 2,9,16.",
        rich_help_panel=WINDOWS,
    ),
    t_end: str | None = typer.Option(
        None,
        "--t-end",
        help="Explicit window ends, e.g. 8,15,22 (with --t-start).",
        rich_help_panel=WINDOWS,
    ),
    prior_mean: float = typer.Option(5.0, "--prior-mean", help="Gamma prior mean of R."),
    prior_sd: float = typer.Option(5.0, "--prior-sd", help="Gamma prior sd of R."),
    method: str = typer.Option("cori", "--method", help="cori or wallinga-teunis."),
    n_sim: int = typer.Option(
        100, "--n-sim", help="Simulations for Wallinga-Teunis intervals (2 to 10,000)."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed for Wallinga-Teunis simulations."),
    negatives: str = typer.Option(
        "auto",
        "--negatives",
        help="Negative daily counts: auto (zero for JHU increments, error for stated counts), "
        "zero, backfill or error.",
        rich_help_panel=CLEANING,
    ),
    gaps: str = typer.Option(
        "zero",
        "--gaps",
        help="Missing days or empty cells: zero or error.",
        rich_help_panel=CLEANING,
    ),
    duplicates: str = typer.Option(
        "error",
        "--duplicates",
        help="Duplicated dates: error, sum or last.",
        rich_help_panel=CLEANING,
    ),
    stop_days: int = typer.Option(
        14,
        "--stop-days",
        help="A series whose last N or more days report no new cases has stopped reporting "
        "(so has a run of N or more missing days): windows over those days get no estimate, "
        "and say why in the note column. 0 turns it off.",
        rich_help_panel=CLEANING,
    ),
    plot: Path | None = typer.Option(
        None,
        "--plot",
        help="Also draw Rt with credible bands per country (.png or .svg).",
        rich_help_panel=OUTPUTS,
    ),
    report: Path | None = typer.Option(
        None,
        "--report",
        help="FILE.html: an offline HTML report (Rt charts, latest Rt table and map, cleaning "
        "record); FILE.csv: the cleaning report (every change made) as CSV.",
        rich_help_panel=OUTPUTS,
    ),
    nowcast: Path | None = typer.Option(
        None,
        "--nowcast",
        help="Sample paths of a daily nowcast (`epicommons nowcast … --paths P.parquet`): the "
        "last days of each series it names are corrected path by path, and Rt's interval "
        "carries the nowcast's uncertainty (Cori only).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary on stderr."),
) -> None:
    """Estimate Rt per country (Cori et al. 2013, as EpiEstim 2.2.4; or Wallinga-Teunis).

    Required: INPUT, --out, and the serial interval (--si-mean with --si-sd, or --si-distr).

    OUT.csv columns: country, t_start, t_end, date_start, date_end, mean, std, q0.025, q0.05,
    q0.25, q0.5, q0.75, q0.95, q0.975, note (country and dates only when the input has them).
    Empty windows have blank numbers and say why in note (too early for the serial interval,
    or the series stopped reporting). Only cases are read (a JHU deaths file beside the input
    is not).

    Example:  epicommons rt time_series_covid19_confirmed_global.csv --out rt.csv --country ITA --si-mean 4.7 --si-sd 2.9 --from 2020-03-01 --to 2020-05-31
    """
    # Imported here: every `epicommons` command loads this module. The path from a JHU file to
    # OUT.csv imports neither pandas nor matplotlib (0.25 s and more of start-up).
    from epicommons.surveillance.estimate import estimate_rt_columns, rt_frame
    from epicommons.surveillance.output import write_csv_atomically
    from epicommons.surveillance.readers import read_cases

    from .rt_options import option_names, rt_request

    request = rt_request(
        input=input, out=out, format=format, country=country, si_mean=si_mean, si_sd=si_sd,
        si_distr=si_distr, window=window, t_start=t_start, t_end=t_end, date_from=date_from,
        date_to=date_to, prior_mean=prior_mean, prior_sd=prior_sd, method=method,
        negatives=negatives, gaps=gaps, duplicates=duplicates, stop_days=stop_days,
        n_sim=n_sim, seed=seed, plot=plot, report=report,
    )  # fmt: skip
    console = Console(stderr=True, quiet=quiet)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    ) as progress:
        task = progress.add_task("reading cases", total=4)
        cases = read_cases(input, request.format, rules=request.rules, with_deaths=False)  # type: ignore[arg-type]
        progress.update(task, advance=1, description="estimating Rt")
        with option_names():
            if nowcast is None:
                columns = estimate_rt_columns(cases, request.options, countries=request.countries)
            else:
                from epicommons.surveillance.nowcast_rt import read_paths, rt_with_nowcast

                selected = cases.select(list(request.countries)) if request.countries else cases
                columns = rt_with_nowcast(selected, read_paths(nowcast), request.options)
        # the DataFrame only for the report and the plot (built once, on first use)
        frame = functools.cache(lambda: columns if nowcast else rt_frame(columns))
        page = None
        if request.html:
            progress.update(task, description="drawing the report")
            page = _report_page(frame(), cases, request.options.method, input)
        progress.update(task, advance=1, description="writing")
        write_csv_atomically(columns, out)
        if report is not None and not request.html:
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
    if request.html:
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
