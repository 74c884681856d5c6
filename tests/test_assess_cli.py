"""`epicommons assess DATA_DIR --out DIR` on a folder of files: it writes the tables, the
metadata and the report; bad files give one line and exit 2 with nothing written."""

from __future__ import annotations

import datetime
import json

import pandas as pd
import pytest

import assess_inputs as data
from epicommons.cli import main

MEMBERS = ("AUT", "BEL", "CHE", "TON")
SETTINGS = """[assessment]
as_of = 2020-12-01
members = ["AUT", "BEL", "CHE", "TON"]
runs = 10

[assessment.fairness]
rule = "proportional_floor"
share = 0.5
"""


@pytest.fixture(scope="module")
def folder(shared_data, tmp_path_factory):
    """A DATA_DIR with every report up to 2021-02-28 (the command cuts at the as-of date)."""
    where = tmp_path_factory.mktemp("assess") / "data"
    where.mkdir()
    triangle = data.simulate_reports(data.final(shared_data, MEMBERS), seed=5)
    triangle.to_csv(where / "counts.csv", index=False, date_format="%Y-%m-%d")
    data.stocks(datetime.date(2020, 12, 1), MEMBERS).to_csv(where / "stocks.csv", index=False)
    data.PLEDGES.to_csv(where / "pledges.csv", index=False)
    (where / "assessment.toml").write_text(SETTINGS, encoding="utf-8")
    return where


def test_it_writes_every_table_the_metadata_and_the_report(folder, tmp_path):
    out = tmp_path / "out"
    assert main(["assess", str(folder), "--out", str(out), "--quiet"]) == 0
    meta = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    assert meta["as_of"] == "2020-12-01" and meta["members"] == sorted(MEMBERS)
    assert meta["options"]["runs"] == 10
    assert meta["options"]["fairness"]["rule"] == "proportional_floor"
    nowcast = pd.read_csv(out / "nowcast.csv")
    assert set(nowcast["location"]) == set(MEMBERS)
    assert pd.to_datetime(nowcast["target_end_date"]).max() == pd.Timestamp("2020-12-01")
    assert (out / "report.html").stat().st_size > 10_000
    # a second run replaces the folder it made
    assert main(["assess", str(folder), "--out", str(out), "--quiet", "--as-of", "2020-11-24"]) == 0
    assert json.loads((out / "assessment.json").read_text())["as_of"] == "2020-11-24"


def _broken(folder, tmp_path, name: str, edit) -> object:
    copy = tmp_path / "data"
    copy.mkdir()
    for f in folder.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    path = copy / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return copy


@pytest.mark.parametrize(
    ("name", "edit", "expected"),
    [
        (
            "counts.csv",
            lambda t: t.replace("\n", "\nAUT,2020-10-01,2020-10-02,many\n", 1),
            "counts.csv, line 2, field 'count': expected a whole number",
        ),
        (
            "stocks.csv",
            lambda t: t.replace("1120000.0", "-5", 1),
            "stocks.csv, line 2, field 'quantity': expected a number >= 0",
        ),
        (
            "assessment.toml",
            lambda t: t.replace("runs = 10", "runz = 10"),
            "assessment.runz",
        ),
        (
            "pledges.csv",
            lambda t: t.replace("EU,test_kit,5000000.0,1000000.0", "EU,test_kit,5,9"),
            "pledges.csv, line 2, field 'delivered': expected at most what was pledged",
        ),
    ],
    ids=["count", "stock", "setting", "pledge"],
)
def test_a_bad_file_is_one_line_exit_2_and_nothing_written(
    folder, tmp_path, capsys, name, edit, expected
):
    broken = _broken(folder, tmp_path, name, edit)
    out = tmp_path / "out"
    assert main(["assess", str(broken), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_the_output_is_checked_before_any_work(folder, tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("not an assessment")
    assert main(["assess", str(folder), "--out", str(taken), "--quiet"]) == 2
    assert "not an epicommons results folder" in capsys.readouterr().err
    assert sorted(p.name for p in taken.iterdir()) == ["mine.txt"]
