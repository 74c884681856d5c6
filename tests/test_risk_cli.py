"""`epicommons risk` and `epicommons compare` through `epicommons.cli.main`: outputs and bad input."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from epicommons.cli import main

COLUMNS = [
    "destination",
    "expected_importations",
    "p_at_least_one",
    "arrival_day_median",
    "arrival_day_q05",
    "arrival_day_q95",
    "beyond_horizon",
    "effective_distance",
]
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "policy"


def test_risk_builtin(tmp_path):
    assert (
        main(
            [
                "risk",
                "--source",
                "ITA",
                "--out",
                str(tmp_path),
                "--days",
                "40",
                "--runs",
                "4",
                "--start",
                "2027-01-01",
                "-q",
            ]
        )
        == 0
    )
    t = pd.read_csv(tmp_path / "risk.csv", keep_default_na=False, na_values=[""])
    assert list(t.columns) == COLUMNS
    assert "ITA" not in set(t["destination"]) and t["destination"].is_unique
    assert len(t) > 200
    assert t["p_at_least_one"].between(0, 1).all()
    # p >= 1 - exp(-E[L]) is false in general, but p <= 1 - exp(-E[L]) (Jensen) always holds
    bound = 1 - (-t["expected_importations"]).map(math.exp)
    assert (t["p_at_least_one"] <= bound + 1e-6).all()
    reached = t.dropna(subset=["arrival_day_median"])
    assert len(reached) >= 3
    # a median arrival day exactly where an importation is at least as likely as not
    assert set(reached["destination"]) == set(t.loc[t["p_at_least_one"] >= 0.5, "destination"])
    assert (t.loc[t["arrival_day_median"].isna(), "beyond_horizon"].str.contains("median")).all()
    assert (reached["arrival_day_q05"] <= reached["arrival_day_median"]).all()
    assert reached.iloc[0]["destination"] in {"FRA", "DEU", "CHE", "AUT", "GBR", "ESP"}


def test_risk_openflights_airports(tmp_path, shared_data):
    assert (
        main(
            [
                "risk",
                "--source",
                "Iceland",
                "--network",
                "openflights",
                str(shared_data / "openflights"),
                "--out",
                str(tmp_path),
                "--days",
                "15",
                "--runs",
                "2",
                "-q",
            ]
        )
        == 0
    )
    t = pd.read_csv(tmp_path / "risk.csv")
    assert list(t.columns) == COLUMNS
    assert "ISL" not in set(t["destination"])
    top = t.sort_values("effective_distance").iloc[0]["destination"]
    assert top in {"DNK", "GBR", "NOR", "USA", "GRL", "FRO", "DEU", "SWE", "CAN", "NLD", "FRA"}


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--source", "Atlantis"], "--source"),
        (["--source", "ITA", "--days", "0"], "--days"),
        (["--source", "ITA", "--runs", "0"], "--runs"),
        (["--source", "ITA", "--start", "2027-13-01"], "--start"),
        (["--source", "ITA", "--disease", "flu"], "unknown disease preset"),
        (["--source", "ITA", "--network", "openflights"], "needs a folder"),
        (["--source", "ITA", "--network", "ships"], "expected one of builtin"),
        (["--source", "ITA", "--seed-infections", "0"], "--seed-infections"),
        (["--source", "ITA", "--seed-infections", "1e12"], "at most the"),
    ],
)
def test_risk_bad_input_exit_2(tmp_path, capsys, args, text):
    out = tmp_path / "out"
    defaults = [x for k, v in (("--days", "3"), ("--runs", "1")) if k not in args for x in (k, v)]
    assert main(["risk", *args, *defaults, "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and text in err and "Traceback" not in err
    assert not (out / "risk.csv").exists()


def _scenario(tmp_path: Path, name: str, extra: str = "", seed: int = 7) -> Path:
    text = (EXAMPLES / "baseline.toml").read_text().replace("seed = 7", f"seed = {seed}")
    p = tmp_path / f"{name}.toml"
    p.write_text(text.replace('name = "baseline"', f'name = "{name}"') + extra)
    return p


CUT = '\n[[interventions]]\ntype = "travel_reduction"\nstart = 2027-01-15\nfrom = ["ITA"]\n'


def test_compare_pairs_runs(tmp_path):
    a = _scenario(tmp_path, "base")
    b = _scenario(tmp_path, "cut", CUT + "reduction = 0.9\n")
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "o"), "--runs", "4", "-q"]) == 0
    t = pd.read_csv(tmp_path / "o" / "compare.csv")
    world = t[(t["country"] == "WORLD")].set_index("metric")
    assert set(world.index) == {
        "importations_averted",
        "arrival_delay",
        "infections_averted",
        "deaths_averted",
    }
    imp = world.loc["importations_averted"]
    assert imp["difference_mean"] == pytest.approx(imp["baseline_mean"] - imp["scenario_mean"])
    assert imp["difference_mean"] > 0 and imp["ci_low"] > 0  # cutting travel averts imports


@pytest.mark.parametrize(
    ("extra", "seed", "field", "text"),
    [
        (CUT + "reduction = 1.5\n", 7, "interventions[0].reduction", "less than or equal to 1"),
        (
            CUT.replace('"ITA"', '"Narnia"') + "reduction = 0.5\n",
            7,
            "interventions[0].from[0]",
            "unknown group or country",
        ),
        (
            CUT.replace("2027-01-15", "2026-01-15") + "reduction = 0.5\n",
            7,
            "interventions[0].start",
            "outside the simulation",
        ),
        ("", 8, "seed", "compared scenarios must share"),
        (
            CUT + "reduction = 0.5\n" + CUT + "reduction = 0.7\n",
            7,
            "interventions[1]",
            "contradicts interventions[0]",
        ),
    ],
)
def test_compare_bad_input_exit_2(tmp_path, capsys, extra, seed, field, text):
    a = _scenario(tmp_path, "base")
    b = _scenario(tmp_path, "bad", extra, seed=seed)
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "o"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(b) in err and field in err and text in err
    assert not (tmp_path / "o").exists()
