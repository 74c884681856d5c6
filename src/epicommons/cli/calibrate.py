"""`epicommons calibrate`: fit a scenario's `[calibration]` parameters to reported cases/deaths,
then write the posterior, fit plots and a forecast."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from epicommons.errors import InputError

from . import ensemble_options as opts
from .progress import progress


def calibrate(
    scenario: Path = typer.Argument(..., help="Scenario TOML with a calibration table."),
    data: Path = typer.Option(..., "--data", help="Case data: JHU wide, OWID or tidy CSV."),
    out: Path = typer.Option(..., "--out", help="Folder for the outputs (created or replaced)."),
    workers: int | None = opts.WORKERS,
    scheduler: str | None = opts.SCHEDULER,
    engine: str | None = opts.ENGINE,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Calibrate (likelihood point estimate, then ABC-SMC) and forecast from the posterior.

    Example:  epicommons calibrate examples/calibration/europe_2020.toml
    --data time_series_covid19_confirmed_global.csv --out results/europe --workers 2

    --engine overrides the calibration table's engine (of the ABC-SMC runs and the forecast).
    """
    import numpy as np

    from epicommons.backend import open_backend
    from epicommons.calibrate import abc_smc, abc_smc_mcmc, fit_likelihood, forecast
    from epicommons.calibrate import output as calibration_output
    from epicommons.calibrate.diagnostics import diagnose, forecast_source, laplace_draws
    from epicommons.calibrate.likelihood import laplace_covariance
    from epicommons.calibrate.problem import build_problem
    from epicommons.calibrate.spec import load
    from epicommons.surveillance import read_cases

    opts.check(workers, scheduler)
    chosen = opts.engine(engine, ("stochastic", "fast", "deterministic"))
    spec_scenario, spec, text = load(scenario)
    if chosen is not None:
        spec = spec.model_copy(update={"engine": chosen})
    cases = read_cases(data)
    problem = build_problem(
        spec_scenario, spec, cases, base=scenario.resolve().parent, source=str(scenario)
    )
    calibration_output.check_out(out)
    console = Console(stderr=True)
    with (
        open_backend(workers, scheduler) as backend,
        progress(
            quiet,
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=console,
        ) as bar,
    ):
        task = bar.add_task("likelihood fit", total=None, info=backend.name)
        point = fit_likelihood(problem, starts=spec.starts, seed=problem.seed, backend=backend)
        covariance = laplace_covariance(problem, point, backend=backend)
        variance = np.diag(covariance)
        # a variance <= 0 means the Hessian is not positive definite there: no Laplace sd
        laplace_sd = np.where(variance > 0, np.sqrt(np.abs(variance)), np.nan)
        bar.update(task, description="ABC-SMC", total=spec.max_generations, completed=0)

        def step(g) -> None:
            bar.update(
                task,
                completed=g.index + 1,
                info=f"generation {g.index}: eps {g.epsilon:.3g}, accepted {g.acceptance:.0%}",
            )

        sampler = abc_smc if spec.sampler == "apmc" else abc_smc_mcmc
        post = sampler(
            problem,
            particles=spec.particles,
            alpha=spec.alpha,
            min_acceptance=spec.min_acceptance,
            max_generations=spec.max_generations,
            seed=problem.seed,
            backend=backend,
            progress=step,
            regression_adjustment=spec.regression_adjustment,
        )
        diag = diagnose(
            post.generations,
            post.weights,
            min_acceptance=spec.min_acceptance,
            adjustment_requested=spec.regression_adjustment,
            adjustment_applied=post.adjustment is not None and post.adjustment.applied,
            likelihood_converged=point.converged,
            covariance=covariance,
        )
        source, reason = forecast_source(diag)
        if source == "posterior":
            particles, weights = post.particles, post.weights
        elif source == "laplace":
            box = np.array([q.prior.box() for q in problem.parameters], dtype=float)
            particles = laplace_draws(
                point.values, covariance, box, spec.forecast_runs, problem.seed
            )
            weights = None
        else:
            particles, weights = point.values[None, :], None
        bar.update(task, description="forecast", info=f"{spec.forecast_runs} runs")
        fc = forecast(
            problem,
            particles,
            weights,
            runs=spec.forecast_runs,
            seed=problem.seed,
            backend=backend,
        )
        bar.update(task, description="track record", info="refits at 3 earlier origins")
        record, warnings = _track_record(spec_scenario, spec, cases, scenario, backend)
    meta = {
        "scenario": str(scenario),
        "data": str(data),
        "countries": list(problem.countries),
        "backend": backend.name,
        "generations": len(post.generations),
        "epsilon": post.epsilon,
        "seed": problem.seed,
        "diagnostics": diag.as_dict(),
        "forecast_from": source,
        "forecast_reason": reason,
        "recent_track_record": record,
        "warnings": warnings,
    }
    meta["laplace_sd"] = {
        name: sd if np.isfinite(sd) else None
        for name, sd in zip(point.names, laplace_sd.tolist(), strict=True)
    }
    written = calibration_output.write(out, post, point, fc, meta, text)
    if quiet:
        return
    table = Table(title=f"posterior ({len(post.particles)} particles, eps {post.epsilon:.3g})")
    for col in ("parameter", "MLE", "q0.05", "median", "q0.95"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    q = post.quantiles([0.05, 0.5, 0.95])
    for j, name in enumerate(post.names):
        table.add_row(name, f"{point.values[j]:.3g}", *(f"{q[i, j]:.3g}" for i in range(3)))
    Console().print(table)
    state = "converged" if diag.converged else "NOT converged: " + "; ".join(diag.problems())
    Console().print(
        f"ABC-SMC {state} ({diag.stopped}, {diag.generations} generations, effective sample "
        f"size {diag.effective_size:,.0f}); likelihood fit "
        f"{'converged' if diag.likelihood_converged else 'did NOT converge'}, Hessian "
        f"{'positive definite' if diag.hessian_positive_definite else 'NOT positive definite'}"
    )
    Console().print(f"forecast from {source}: {reason}")
    for note in warnings:
        Console().print(note)
    Console().print(f"wrote {len(written)} files to {out}")


def _track_record(scenario, spec, cases, path: Path, backend) -> tuple[dict | None, list[str]]:
    """The fit's relative WIS against the Forecast Hub baseline on its own recent past (refits
    at the last 3 weekly origins before fit_end), and a warning when it lost there."""
    from epicommons.forecast.track import calibration_record

    try:
        record = calibration_record(
            scenario,
            spec,
            cases,
            base=path.resolve().parent,
            source=str(path),
            backend=backend,
        )
    except InputError as exc:
        return None, [f"warning: no recent track record ({exc.message})"]
    warning = record.warning("the calibrated model")
    return record.as_dict(), [warning] if warning else []
