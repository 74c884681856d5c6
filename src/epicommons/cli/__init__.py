"""The `epicommons` command: parse arguments, call the library, write outputs.

Each command group lives in its own module and is registered here. Errors of type
`EpicommonsError` become one line on stderr and exit status 2; nothing else is caught.
"""

from __future__ import annotations

import os
import sys

import typer

from epicommons.doubts import collecting
from epicommons.errors import EpicommonsError

from . import assess as _assess
from . import assist as _assist
from . import calibrate as _calibrate
from . import compare as _compare
from . import demo as _demo
from . import forecast as _forecast
from . import hub as _hub
from . import nowcast as _nowcast
from . import risk as _risk
from . import rt as _rt
from . import scenario as _scenario
from . import simulate as _simulate
from . import sweep as _sweep
from . import vaccine as _vaccine
from . import world as _world

app = typer.Typer(
    name="epicommons",
    help="Joint epidemic prevention and control across countries.\n\n"
    "Example:  epicommons world countries --search korea",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from epicommons import __version__

        typer.echo(f"epicommons {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Options of `epicommons` itself (before any command)."""


app.add_typer(_world.app, name="world")
app.command("demo")(_demo.demo)
app.command("simulate")(_simulate.simulate)
app.command("rt")(_rt.rt)
app.command("nowcast")(_nowcast.nowcast)
app.command("nowcast-evaluate")(_nowcast.nowcast_evaluate)
app.command("assess")(_assess.assess)
app.command("assess-whatif")(_assess.assess_whatif)
app.command("allocate")(_assist.allocate)
app.command("repatriate")(_assist.repatriate)
app.command("serve")(_hub.serve)
app.command("risk")(_risk.risk)
app.command("compare")(_compare.compare)
app.command("calibrate")(_calibrate.calibrate)
app.command("sweep")(_sweep.sweep)
app.command("forecast")(_forecast.forecast)
app.command("forecast-evaluate")(_forecast.forecast_evaluate)
app.command("vaccine-study")(_vaccine.vaccine_study)
app.add_typer(_hub.app, name="hub")
app.add_typer(_scenario.app, name="scenario")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit status: the one place where errors meet the user.

    Bad input (`EpicommonsError`) and an operating-system failure on a named file give one line
    and status 2; an interrupt, status 130; anything else is a bug in epicommons: one line asking
    for a report, status 70 (EX_SOFTWARE), and the traceback only with EPICOMMONS_DEBUG=1.
    """
    with collecting() as found:
        try:
            return _run(argv)
        finally:
            for item in found:  # doubtful values are never silent, even with --quiet
                typer.echo(f"warning: {item}", err=True)


def _run(argv: list[str] | None) -> int:
    try:
        app(args=argv, prog_name="epicommons")
    except EpicommonsError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except SystemExit as exc:  # typer/click exit here after --help, usage errors (2) and success
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"error: {where}{exc.strerror or exc}", err=True)
        return 2
    except Exception as exc:
        if os.environ.get("EPICOMMONS_DEBUG"):
            raise
        typer.echo(
            f"error: internal error ({type(exc).__name__}: {exc}); this is a bug in epicommons "
            "— please report it with the command you ran (EPICOMMONS_DEBUG=1 shows the traceback)",
            err=True,
        )
        return 70
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
