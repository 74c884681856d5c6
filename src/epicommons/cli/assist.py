"""`epicommons allocate` and `epicommons repatriate`: solve an assistance plan, write tables and text."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from epicommons._files import check_output, write_files

from .progress import progress

if TYPE_CHECKING:
    import pandas as pd


def allocate(
    problem: Path = typer.Argument(..., help="Allocation problem TOML (see examples/assist)."),
    out: Path = typer.Option(..., "--out", help="Folder for the tables and explanation."),
    report: Path | None = typer.Option(
        None, "--report", help="Also write an offline HTML report (bars, tables) to FILE.html."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary."),
) -> None:
    """Allocate scarce supplies or vaccines to members week by week (HiGHS), and explain the plan.

    Writes allocation.csv, members.csv, shadow_prices.csv, comparison.csv and explanation.md.

    Example:  epicommons allocate examples/assist/allocation/problem.toml --out results/alloc
    """
    from epicommons.assist.explain import explain
    from epicommons.assist.problem_file import read_problem
    from epicommons.assist.solve import solve

    check_output(out, "folder")
    if report is not None:
        from epicommons.report.target import check_target

        check_target(report)
    with progress(quiet) as bar:
        task = bar.add_task("reading the problem", total=3)
        spec = read_problem(problem)
        bar.update(task, description="solving (HiGHS)", advance=1)
        plan = solve(spec)
        bar.update(task, description="explaining", advance=1)
        why = explain(plan)
    page = None
    if report is not None:
        from epicommons.report.allocation import allocation_page

        page = allocation_page(
            why.members,
            why.comparison,
            why.shadow_prices,
            title=f"Allocation: {spec.name}",
            subtitle=f"{len(spec.members)} members, {spec.shape[1]} weeks, fairness rule "
            f"{spec.fairness.rule}, objective {spec.objective.replace('_', ' ')}.",
            units={it.name: f"{it.unit}s" for it in spec.items},
        )
    written = write_files(
        out,
        {
            "allocation.csv": why.allocation,
            "members.csv": why.members,
            "shadow_prices.csv": why.shadow_prices,
            "comparison.csv": why.comparison,
            "explanation.md": why.text,
        },
    )
    if page is not None:
        from epicommons.report.target import write_page

        written.append(write_page(page, report))
    if not quiet:
        console = Console()
        console.print(_comparison_table(why.comparison, spec.objective == "deaths_averted"))
        console.print(f"wrote {len(written)} files to {out}")


def _comparison_table(comparison: pd.DataFrame, maximise: bool) -> Table:
    """The plan beside the baselines, numbers for people: objective, rules broken, shares."""
    better = "higher" if maximise else "lower"
    table = Table(title=f"The plan beside the baselines (objective: {better} is better)")
    for col in ("plan", "objective", "delivered", "smallest share met", "breaks"):
        table.add_column(
            col, justify="left" if col in ("plan", "breaks") else "right", overflow="fold"
        )
    for row in comparison.itertuples(index=False):
        table.add_row(
            row.plan,
            f"{row.objective:,.0f}",
            f"{row.delivered:,.0f}",
            f"{row.smallest_share_met:.1%}",
            row.breaks,
        )
    return table


def repatriate(
    plan: Path = typer.Argument(..., help="Repatriation plan TOML (see examples/assist)."),
    out: Path = typer.Option(..., "--out", help="Folder for the schedule and explanation."),
    report: Path | None = typer.Option(
        None, "--report", help="Also write an offline HTML report (charts, tables) to FILE.html."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary."),
) -> None:
    """Schedule repatriation flights (MIP, HiGHS): most priority-weighted returns within the limits
    on expected imported infections and quarantine places.

    Writes schedule.csv, flights.csv, quarantine.csv, remaining.csv and explanation.md.

    Example:  epicommons repatriate examples/assist/repatriation/plan.toml --out results/repat
    """
    from epicommons.assist.repatriation import explain_schedule, schedule
    from epicommons.assist.repatriation_file import read_plan

    check_output(out, "folder")
    if report is not None:
        from epicommons.report.target import check_target

        check_target(report)
    with progress(quiet) as bar:
        task = bar.add_task("reading the plan", total=3)
        spec = read_plan(plan)
        bar.update(task, description="scheduling (HiGHS MIP)", advance=1)
        result = schedule(spec)
        bar.update(task, description="explaining", advance=1)
        tables, text = explain_schedule(result)
    page = None
    if report is not None:
        from epicommons.report.repatriation import repatriation_page
        from epicommons.world.countries import registry

        page = repatriation_page(
            tables, subtitle=plan.name, names={c.iso3: c.name for c in registry()}
        )
    written = write_files(
        out, {**{f"{k}.csv": v for k, v in tables.items()}, "explanation.md": text}
    )
    if page is not None:
        from epicommons.report.target import write_page

        written.append(write_page(page, report))
    if not quiet:
        Console().print(text.split("\n## ")[0])
        Console().print(f"wrote {len(written)} files to {out}")
