"""The options every command that runs ensembles shares, defined once: where the runs go
(`--workers`, `--scheduler`) and which engine draws them (`--engine`)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import typer

from epicommons.errors import InputError

WORKERS = typer.Option(
    None, "--workers", help="Run on a local Dask cluster of N worker processes on 127.0.0.1."
)
SCHEDULER = typer.Option(
    None, "--scheduler", help="Run on an existing Dask cluster: its scheduler, tcp://HOST:PORT."
)
ENGINE = typer.Option(
    None,
    "--engine",
    help="exact (= stochastic: exact draws) | fast (large counts drawn approximately)"
    " | deterministic (mean field; simulate, calibrate). Default: the scenario's, else exact.",
)
STOCHASTIC = ("stochastic", "fast")  # the engines of commands that count runs


def check(workers: int | None, scheduler: str | None) -> None:
    """The one check of `--workers` and `--scheduler` (before anything runs)."""
    if workers is not None and scheduler is not None:
        raise InputError("give either --workers or --scheduler, not both", field="--workers")
    if workers is not None and workers < 1:
        raise InputError(f"expected --workers >= 1, got {workers}", field="--workers")
    if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        raise InputError(f"expected tcp://HOST:PORT, got {scheduler!r}", field="--scheduler")


def backend(workers: int | None, scheduler: str | None) -> AbstractContextManager[Any]:
    """The backend the options ask for, checked; None when neither is given, so the
    scenario's own `workers` setting applies."""
    check(workers, scheduler)
    if workers is None and scheduler is None:
        return nullcontext(None)
    from epicommons.backend import open_backend

    return open_backend(workers, scheduler)


def engine(value: str | None, allowed: Sequence[str] = STOCHASTIC) -> str | None:
    """The scenario engine name for `--engine` (`exact` is `stochastic`), or None if not given."""
    if value is None:
        return None
    name = "stochastic" if value == "exact" else value
    if name not in allowed:
        shown = ", ".join("exact" if a == "stochastic" else a for a in allowed)
        raise InputError(f"expected one of {shown}, got {value!r}", field="--engine")
    return name
