"""The [calibration] table: errors name the key path; the CLI exits 2 on bad input."""

from __future__ import annotations

import pytest

from epicommons.calibrate.spec import parse
from epicommons.cli import main
from epicommons.errors import InputError

BASE = """
start = 2020-02-01
days = 60
[disease]
preset = "SEIR"
[[seeds]]
where = "ITA"
count = 1
[calibration]
countries = ["ITA", "ESP"]
fit_start = 2020-02-10
fit_end = 2020-03-20
change_points = [2020-03-05]
[calibration.fit.R0]
low = 1.0
high = 4.0
per_country = true
"""


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("[calibration.fit.R0]", "[calibration.fit.beta]", "calibration.fit.beta"),
        ("low = 1.0\n", "", "calibration.fit.R0"),
        ("high = 4.0", "high = 4.0\nmean = 'x'", "calibration.fit.R0.mean"),
        ("fit_end = 2020-03-20", "fit_end = 2020-03-20\nparticle = 3", "calibration.particle"),
        (
            "change_points = [2020-03-05]",
            "change_points = [2020-01-05]",
            "calibration.change_points[0]",
        ),
        ("fit_start = 2020-02-10", "fit_start = 2020-01-10", "calibration.fit_start"),
        (
            "per_country = true",
            "per_country = true\n[calibration.fixed]\nreporting = 2",
            "calibration.fixed.reporting",
        ),
        ("count = 1", "count = -1", "seeds[0].count"),
        (
            "fit_end = 2020-03-20",
            'fit_end = 2020-03-20\nregression_adjustment = "no"',
            "calibration.regression_adjustment",
        ),
        (
            "fit_end = 2020-03-20",
            "fit_end = 2020-03-20\nregression_adjustment = 0",
            "calibration.regression_adjustment",
        ),
    ],
)
def test_errors_name_the_key_path(old, new, field):
    assert old in BASE
    with pytest.raises(InputError) as info:
        parse(BASE.replace(old, new), "s.toml")
    assert info.value.field == field
    assert "s.toml" in str(info.value)


def test_missing_calibration_table():
    with pytest.raises(InputError, match="no \\[calibration\\] table"):
        parse(BASE.split("[calibration]")[0])


def test_valid_file_parses():
    scenario, spec = parse(BASE)
    assert spec.countries == ["ITA", "ESP"] and spec.fit["R0"].per_country
    assert spec.regression_adjustment is True  # the default
    off = BASE.replace(
        "fit_end = 2020-03-20", "fit_end = 2020-03-20\nregression_adjustment = false"
    )
    assert parse(off)[1].regression_adjustment is False


def test_cli_exit_2_on_bad_scenario(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE.replace("low = 1.0\n", ""))
    data = tmp_path / "cases.csv"
    data.write_text("country,date,cases\nITA,2020-02-10,1\n")
    code = main(["calibrate", str(bad), "--data", str(data), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error:") and "calibration.fit.R0" in err
    assert not (tmp_path / "o").exists()


def test_cli_exit_2_on_country_missing_from_data(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text(BASE)
    data = tmp_path / "cases.csv"
    data.write_text("country,date,cases\nITA,2020-02-10,1\nITA,2020-02-11,2\n")
    code = main(["calibrate", str(good), "--data", str(data), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "ESP" in err and "Traceback" not in err


def test_cli_exit_2_on_workers_and_scheduler(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text(BASE)
    code = main(
        [
            "calibrate",
            str(good),
            "--data",
            str(good),
            "--out",
            str(tmp_path / "o"),
            "--workers",
            "2",
            "--scheduler",
            "tcp://127.0.0.1:1",
        ]
    )
    assert code == 2 and "either" in capsys.readouterr().err


def test_sweep_exit_2_on_bad_grid_key(tmp_path, capsys):
    scen = tmp_path / "s.toml"
    scen.write_text(BASE)
    grid = tmp_path / "g.toml"
    grid.write_text('[grid]\n"seeds[3].count" = [1, 2]\n')
    code = main(["sweep", str(scen), "--grid", str(grid), "--out", str(tmp_path / "x.parquet")])
    err = capsys.readouterr().err
    assert code == 2 and "grid.seeds[3].count" in err


def test_sweep_grid_key_that_matches_nothing_names_it_and_the_valid_ones(tmp_path, capsys):
    """`R00` is no parameter of SEIR: every variant would have run the same epidemic."""
    scen = tmp_path / "s.toml"
    scen.write_text(BASE.split("[calibration]")[0])
    grid = tmp_path / "g.toml"
    grid.write_text('[grid]\n"disease.parameters.R00" = [1.5, 2.5]\n')
    out = tmp_path / "x.parquet"
    code = main(["sweep", str(scen), "--grid", str(grid), "--out", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "grid.disease.parameters.R00" in err
    assert all(name in err for name in ("R0", "beta", "sigma", "gamma"))  # SEIR's parameters
    assert not out.exists()


def test_sweep_refuses_an_out_that_is_not_parquet(tmp_path, capsys):
    scen = tmp_path / "s.toml"
    scen.write_text(BASE.split("[calibration]")[0])
    grid = tmp_path / "g.toml"
    grid.write_text('[grid]\n"disease.parameters.R0" = [1.5, 2.5]\n')
    code = main(["sweep", str(scen), "--grid", str(grid), "--out", str(tmp_path / "w.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "--out" in err and ".parquet" in err
    assert sorted(tmp_path.iterdir()) == sorted([scen, grid])  # nothing written


def test_cli_exit_2_on_fit_end_after_the_data(tmp_path, capsys):
    """The data stop on 10 March; fitting to 20 March would fit ten days of no reports."""
    good = tmp_path / "good.toml"
    good.write_text(BASE)
    rows = [f"{c},2020-02-{d:02d},{d}" for c in ("ITA", "ESP") for d in range(10, 30)]
    rows += [f"{c},2020-03-{d:02d},{d}" for c in ("ITA", "ESP") for d in range(1, 11)]
    data = tmp_path / "cases.csv"
    data.write_text("country,date,cases\n" + "\n".join(rows) + "\n")
    code = main(["calibrate", str(good), "--data", str(data), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "calibration.fit_end" in err and "2020-03-10" in err
    assert not (tmp_path / "o").exists()
