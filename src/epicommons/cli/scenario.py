"""`epicommons scenario ...`: start a scenario file, check one, and print the file reference."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from epicommons._files import check_output, read_toml, write_text
from epicommons.errors import InputError

app = typer.Typer(
    help="Scenario files: start one, check one, read the reference.\n\n"
    "Example:  epicommons scenario init --preset SEIR --out my.toml",
    no_args_is_help=True,
)

_STARTER = """\
# {title}
# Every key: docs/scenario.md (or `epicommons scenario reference`).
# Check:  epicommons scenario validate {name}
# Run:    epicommons simulate {name} --out results/{stem}
name = "{title}"
start = {start}
days = 180
runs = 20
seed = 1
engine = "stochastic"          # or "deterministic"

[network]
source = "{network}"{network_path}

[disease]
preset = "{preset}"
age_groups = [0, 10, 20, 40, 60]
contacts = "builtin"

[disease.parameters]
{parameters}

[[seeds]]
country = "ITA"                # the country's nodes, by population
count = 10

[outputs]
quantiles = [0.05, 0.5, 0.95]

# Interventions (optional), e.g. a 90% cut of travel out of the seeded country:
# [[interventions]]
# type = "travel_reduction"
# start = {start}
# from = ["ITA"]
# reduction = 0.9
"""


def init(
    out: Path = typer.Option(..., "--out", help="The scenario file to write (.toml)."),
    preset: str = typer.Option("SEIR", "--preset", help="SIR, SEIR, SEIRD or COVID-like."),
    network: str = typer.Option(
        "builtin", "--network", help="builtin (countries) or openflights (airports)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Write a starter scenario file that validates, with every table a scenario needs.

    Example:  epicommons scenario init --preset COVID-like --out covid.toml
    """
    import datetime as dt

    from epicommons.model.presets import PRESETS
    from epicommons.model.presets import preset as make_preset
    from epicommons.model.scenario import parse

    names = {k.lower(): k for k in PRESETS}
    if preset.lower() not in names:
        raise InputError(
            f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}", field="--preset"
        )
    if network not in ("builtin", "openflights"):
        raise InputError(f"expected builtin or openflights, got {network!r}", field="--network")
    check_output(out, "file", suffixes=(".toml",))
    if out.exists() and not force:
        raise InputError("exists; give --force to replace it", source=out, field="--out")
    name = names[preset.lower()]
    text = _STARTER.format(
        title=f"{name} on the {network} network",
        name=out.name,
        stem=out.stem,
        start=dt.date.today().isoformat(),
        network=network,
        network_path=(
            '\npath = "openflights"           # folder with airports.dat and routes.dat\n'
            'level = "airport"'
            if network == "openflights"
            else '\nlevel = "country"'
        ),
        preset=name,
        parameters="\n".join(f"{k} = {v:.4g}" for k, v in make_preset(name).parameters.items()),
    )
    if network == "builtin":
        parse(text, source=out)  # the starter must validate as written
    write_text(text, out)
    if not quiet:
        Console().print(f"wrote {out}; check it with: epicommons scenario validate {out}")


def validate(
    scenario: Path = typer.Argument(..., help="A scenario file (with or without calibration)."),
) -> None:
    """Check a scenario file without running it: every key, value, place and file it names.

    Exit status 0 and a one-line summary when it is valid; one error line and status 2 if not.

    Example:  epicommons scenario validate examples/policy/cut90.toml
    """
    data, _ = read_toml(scenario, "scenario")
    if "calibration" in data:
        from epicommons.calibrate.spec import load as load_calibration

        spec, calibration, _ = load_calibration(scenario)
        extra = (
            f"; calibration of {', '.join(calibration.countries)} from "
            f"{calibration.fit_start} to {calibration.fit_end}"
        )
        interventions = 0
        from epicommons.model.runner import prepare as prepare_model

        model, seeds = prepare_model(spec, scenario.resolve().parent, source=str(scenario))
    else:
        from epicommons.policy import load, prepare

        loaded = load(scenario)
        ready = prepare(loaded)  # the interventions are compiled (checked) too
        spec, model, seeds = ready.scenario, ready.model, ready.seeds
        interventions, extra = len(loaded.interventions), ""
    Console().print(
        f"{scenario}: valid — {spec.name!r}, {spec.days} days from {spec.start}, "
        f"{spec.runs} runs ({spec.engine}), {len(model.network.nodes):,} nodes, "
        f"{len(seeds)} seed(s), {interventions} intervention(s){extra}",
        soft_wrap=True,
    )


def reference(
    out: Path | None = typer.Option(None, "--out", help="Write the Markdown here (else print)."),
) -> None:
    """The reference of every scenario key: type, unit, default, meaning (docs/scenario.md).

    Example:  epicommons scenario reference --out docs/scenario.md
    """
    from .scenario_reference import reference as make

    if out is not None:
        check_output(out, "file", suffixes=(".md",))
        write_text(make(), out)
    else:
        typer.echo(make(), nl=False)


app.command("init")(init)
app.command("validate")(validate)
app.command("reference")(reference)
