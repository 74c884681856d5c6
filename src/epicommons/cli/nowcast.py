"""`epicommons nowcast` and `epicommons nowcast-evaluate`: correct the last weeks of a reporting
triangle for reporting delays, and backtest a method over past as-of dates."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from epicommons._files import check_output
from epicommons.errors import InputError

from .progress import progress


def _levels(text: str | None) -> tuple[float, ...]:
    from epicommons.scoring import QUANTILES

    if text is None:
        return QUANTILES
    out = []
    for item in text.split(","):
        try:
            value = float(item)
        except ValueError:
            raise InputError(
                f"expected numbers in (0, 1), got {item!r}", field="--quantiles"
            ) from None
        if not 0 < value < 1:
            raise InputError(f"expected numbers in (0, 1), got {item!r}", field="--quantiles")
        out.append(value)
    return tuple(sorted(set(out)))


def _date(text: str | None, option: str):
    import numpy as np

    if text is None:
        return None
    try:
        return np.datetime64(text, "D")
    except ValueError:
        raise InputError(f"expected a date YYYY-MM-DD, got {text!r}", field=option) from None


def nowcast(
    triangle: Path = typer.Argument(..., help="Reporting triangle CSV (wide or long format)."),
    out: Path = typer.Option(..., "--out", help="Output CSV of quantiles per target date."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="What was known on this date (default: the file's last date)."
    ),
    method: str = typer.Option(
        "empirical",
        "--method",
        help="empirical (default), model, combined or auto (by late share).",
    ),
    location: list[str] = typer.Option([], "--location", help="Only these locations (repeat)."),
    age_group: list[str] = typer.Option([], "--age-group", help="Only these age groups (repeat)."),
    quantiles: str | None = typer.Option(
        None, "--quantiles", help="Levels, e.g. 0.025,0.5,0.975 (default: the 23 Hub levels)."
    ),
    forecast: int = typer.Option(0, "--forecast", help="Also forecast this many steps ahead."),
    max_delay: int | None = typer.Option(
        None, "--max-delay", help="The target: reported within this many steps (default: all)."
    ),
    paths: Path | None = typer.Option(
        None, "--paths", help="Also write the sample paths (Parquet) for Rt or sums."
    ),
    report: Path | None = typer.Option(None, "--report", help="Also write FILE.html."),
    rt: Path | None = typer.Option(
        None, "--rt", help="Also write weekly Rt on the corrected curve (CSV; weekly triangles)."
    ),
    si_mean: float | None = typer.Option(None, "--si-mean", help="Serial interval mean (days)."),
    si_sd: float | None = typer.Option(None, "--si-sd", help="Serial interval sd (days)."),
    rt_weeks: int = typer.Option(26, "--rt-weeks", help="Weeks of history read for --rt."),
    n_paths: int = typer.Option(1000, "--n-paths", help="Sample paths per series."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary."),
) -> None:
    """Nowcast the final counts of the last weeks (or days) from a reporting triangle.

    With --rt (and the serial interval, --si-mean/--si-sd), also Rt per week on the corrected
    curve: Cori's estimate on the daily incidence reconstructed from the weekly counts, mixed
    over the nowcast's sample paths.

    OUT.csv columns: location, age_group, target_end_date, horizon, quantile, value. Horizon 0
    is the last complete week (or day) on the as-of date, -1 the one before; positive horizons
    are forecasts. `value` is the count expected once --max-delay steps have been reported.

    Example:  epicommons nowcast ../shared/data/respinow_de/SARI__reporting_triangle-icosari-sari.csv --out nowcast.csv --max-delay 4 --age-group 00+ --forecast 4 --rt rt.csv --si-mean 3.6 --si-sd 1.6
    """
    from epicommons.surveillance.nowcast import nowcast as run
    from epicommons.surveillance.output import write_csv_atomically
    from epicommons.surveillance.triangle import read_triangle

    check_output(out, "file", suffixes=(".csv",))
    rt_options = None
    if rt is not None:
        from epicommons.surveillance.options import RtOptions

        check_output(rt, "file", option="--rt", suffixes=(".csv",))
        for value, option in ((si_mean, "--si-mean"), (si_sd, "--si-sd")):
            if value is None:
                raise InputError("--rt needs the serial interval's mean and sd", field=option)
        rt_options = RtOptions(si_mean=si_mean, si_sd=si_sd)
    elif si_mean is not None or si_sd is not None:
        raise InputError("the serial interval is only used with --rt", field="--si-mean")
    if paths is not None:
        check_output(paths, "file", option="--paths", suffixes=(".parquet",))
    if report is not None:
        check_output(report, "file", option="--report", suffixes=(".html", ".htm"))
    levels = _levels(quantiles)
    day = _date(as_of, "--as-of")
    tri = read_triangle(triangle).select(location, age_group)
    if rt is not None and tri.unit != "W":
        raise InputError(
            "--rt reads a weekly triangle; for daily counts write --paths and use "
            "`epicommons rt --nowcast`",
            source=str(triangle),
            field="--rt",
        )
    with progress(quiet) as bar:
        bar.add_task(f"nowcasting {len(tri.keys)} series", total=None)
        result = run(
            tri,
            day,
            method=method,
            max_delay=max_delay,
            forecast=forecast,
            n_paths=n_paths,
            seed=seed,
        )
        rt_table = None
        if rt_options is not None:
            from epicommons.surveillance.nowcast_rt import rt_on_weekly_nowcast

            rt_table = rt_on_weekly_nowcast(tri, result, rt_options, weeks=rt_weeks, seed=seed)
    write_csv_atomically(result.columns(levels), out)
    if rt_table is not None:
        from epicommons._files import write_csv

        write_csv(rt_table, rt, option="--rt")
    if paths is not None:
        from epicommons._files import atomic_file

        with atomic_file(paths, "wb", option="--paths") as handle:
            result.path_table().to_parquet(handle, index=False)
    if report is not None:
        from epicommons.report.nowcast import nowcast_page
        from epicommons.report.target import write_page

        write_page(nowcast_page(tri, result), report)
    if not quiet:
        _summary(result)
        Console(stderr=True).print(f"wrote {out}")


def nowcast_evaluate(
    triangle: Path = typer.Argument(..., help="Reporting triangle CSV (wide or long format)."),
    start: str = typer.Option(..., "--from", help="First as-of date (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last as-of date (YYYY-MM-DD)."),
    out: Path = typer.Option(..., "--out", help="Folder for scores.csv and summary.csv."),
    method: str = typer.Option(
        "empirical",
        "--method",
        help="empirical (default), model, combined or auto (by late share).",
    ),
    location: list[str] = typer.Option([], "--location", help="Only these locations (repeat)."),
    age_group: list[str] = typer.Option([], "--age-group", help="Only these age groups (repeat)."),
    max_delay: int | None = typer.Option(
        None, "--max-delay", help="The target: reported within this many steps (default: all)."
    ),
    report: Path | None = typer.Option(None, "--report", help="Also write FILE.html."),
    n_paths: int = typer.Option(500, "--n-paths", help="Sample paths per series and date."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary."),
) -> None:
    """Backtest a nowcast method at every as-of date in a range against the later-known counts:
    WIS and its parts and 50%/95% coverage per horizon, beside the counts as known.

    Example:  epicommons nowcast-evaluate ../shared/data/respinow_de/SARI__reporting_triangle-icosari-sari.csv --from 2023-10-01 --to 2024-04-28 --max-delay 4 --age-group 00+ --out results/sari
    """
    from epicommons._files import write_files
    from epicommons.surveillance.nowcast_evaluate import backtest
    from epicommons.surveillance.triangle import read_triangle

    check_output(out, "folder")
    if report is not None:
        check_output(report, "file", option="--report", suffixes=(".html", ".htm"))
    first, last = _date(start, "--from"), _date(end, "--to")
    tri = read_triangle(triangle).select(location, age_group)
    n = int(((tri.dates >= first) & (tri.dates <= last)).sum())
    with progress(
        quiet,
        TextColumn("[bold]backtest"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("as-of dates", total=n)
        result = backtest(
            tri,
            first,
            last,
            method=method,
            max_delay=max_delay,
            n_paths=n_paths,
            seed=seed,
            progress=lambda k: bar.advance(task, k),
        )
    summary = result.summary()
    write_files(out, {"scores.csv": result.scores, "summary.csv": summary})
    if report is not None:
        from epicommons.report.nowcast import backtest_page
        from epicommons.report.target import write_page

        write_page(backtest_page(tri, result, method), report)
    if not quiet:
        _scores(summary, f"{method} against the counts as known, {n} as-of dates")
        Console().print(f"wrote scores.csv and summary.csv to {out}")


def _scores(summary, title: str) -> None:
    from rich.table import Table

    table = Table(title=title)
    columns = ("model", "horizon", "mean WIS", "relative WIS", "50% covered", "95% covered")
    for col in (*columns, "50% PIT", "95% PIT"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for row in summary.itertuples():
        table.add_row(
            row.model,
            str(row.horizon),
            f"{row.wis:,.1f}",
            f"{row.relative_wis:.2f}",
            f"{row.covered_50:.0%}",
            f"{row.covered_95:.0%}",
            f"{row.pit_covered_50:.0%}",
            f"{row.pit_covered_95:.0%}",
        )
    Console().print(table)


def _summary(result) -> None:
    from rich.table import Table

    q = result.quantiles((0.025, 0.5, 0.975))
    table = Table(title=f"Nowcast as of {result.as_of} ({result.method})")
    for col in ("series", "target", "horizon", "as known", "median", "95% interval"):
        table.add_column(col, justify="left" if col in ("series", "target") else "right")
    for s, key in enumerate(
        f"{a}/{b}" for a, b in zip(result.locations, result.age_groups, strict=True)
    ):
        for h, target in enumerate(result.dates):
            known = result.observed[s, h]
            table.add_row(
                key,
                str(target),
                str(int(result.horizons[h])),
                "—" if known != known else f"{known:,.0f}",
                f"{q[s, h, 1]:,.0f}",
                f"{q[s, h, 0]:,.0f} – {q[s, h, 2]:,.0f}",
            )
    Console().print(table)
