"""What-if on files, without the hub: one measure against a finished assessment of 20 members
fed from the JHU series (tests/assess_inputs.py), compared run by run."""

from __future__ import annotations

import dataclasses
import datetime
import json

import numpy as np
import pandas as pd
import pytest

import assess_inputs as data
from epicommons.assess import AssessmentOptions, assess
from epicommons.assess.run import network_of
from epicommons.assess.whatif import KINDS, Measure, what_if
from epicommons.backend import open_backend
from epicommons.cli import main
from epicommons.doubts import collecting
from epicommons.errors import InputError

AS_OF = datetime.date(2020, 12, 1)
# small settings: the tests check the pairing, not the methods' accuracy
OPTIONS = AssessmentOptions(runs=20, nowcast_paths=100, forecast_samples=200)
METRICS = ("importations_averted", "infections_averted", "deaths_averted")


@pytest.fixture(scope="module")
def assessment(shared_data):
    return assess(data.inputs(data.triangle(shared_data), AS_OF), OPTIONS)


@pytest.fixture(scope="module")
def hub_member(assessment):
    """The member with the most travellers a day to other countries (the built-in network)."""
    net = network_of(OPTIONS)
    flows = net.flows.tocoo()
    country = np.asarray(net.country)
    abroad = country[flows.row] != country[flows.col]
    out = pd.Series(flows.data[abroad]).groupby(country[flows.row][abroad]).sum()
    return str(out[list(assessment.tables["importation"]["location"])].idxmax())


@pytest.fixture(scope="module")
def cut(assessment, hub_member):
    return what_if(assessment, Measure("travel_reduction", (hub_member,), 0.9))


def _neighbours(member: str) -> set[str]:
    net = network_of(OPTIONS)
    flows = net.flows.tocoo()
    country = np.asarray(net.country)
    return set(country[flows.col][country[flows.row] == member]) - {member}


def test_the_baseline_reproduces_the_assessments_importations_exactly(assessment, cut):
    with collecting() as doubts:
        again = what_if(assessment, Measure("travel_reduction", ("DEU",), 0.5))
    assert not doubts, doubts  # what_if compares its baseline with the stored numbers bit for bit
    stored = assessment.tables["importation"].set_index("location")["expected_importations"]
    for result in (cut, again):
        base = result.tables["effects"].query("metric == 'importations_averted'")
        base = base[base["location"] != "ALL"].set_index("location")["baseline_mean"]
        np.testing.assert_allclose(base.to_numpy(), stored[base.index].to_numpy(), rtol=1e-12)


def test_the_reproduction_check_can_fail(assessment):
    tables = dict(assessment.tables)
    changed = tables["importation"].copy()
    changed.loc[0, "expected_importations"] *= 1 + 1e-9
    tables["importation"] = changed
    with collecting() as doubts:
        what_if(
            dataclasses.replace(assessment, tables=tables), Measure("fast_lane", ("AUT", "CHE"), 0)
        )
    assert any("does not reproduce" in d.message for d in doubts)


def test_a_90pc_cut_from_the_most_connected_member_averts_importations_to_its_neighbours(
    cut, hub_member
):
    effects = cut.tables["effects"]
    imports = effects[effects["metric"] == "importations_averted"].set_index("location")
    near = sorted(_neighbours(hub_member) & set(imports.index))
    assert len(near) >= 5, near
    # the sign is the invariant: fewer infected travellers leave, in the mean and in 95% of
    # the paired runs (q05 >= 0), for every neighbour
    assert (imports.loc[near, "difference_mean"] > 0).all(), imports.loc[near]
    assert (imports.loc[near, "q05"] >= 0).all(), imports.loc[near]
    assert imports.loc["ALL", "difference_mean"] > 0
    # the paired interval is narrower than the spread of the baseline itself would suggest
    assert (imports.loc[near, "q95"] - imports.loc[near, "q05"]).max() < imports.loc[
        near, "baseline_mean"
    ].max()


@pytest.mark.parametrize("kind", KINDS)
def test_a_measure_of_strength_zero_changes_nothing_run_by_run(assessment, kind):
    members = ("DEU", "FRA") if kind == "fast_lane" else ("DEU",)
    result = what_if(assessment, Measure(kind, members, 0.0))
    effects = result.tables["effects"]
    assert set(effects["metric"]) == set(METRICS)
    assert set(effects["location"]) == {*assessment.tables["importation"]["location"], "ALL"}
    for column in ("difference_mean", "q05", "q95"):
        assert (effects[column] == 0).all(), (kind, column)
    assert (effects["baseline_mean"] == effects["measure_mean"]).all()


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_measure_at_full_strength_changes_something(assessment, kind):
    members = ("DEU", "FRA") if kind == "fast_lane" else ("DEU",)
    effects = what_if(assessment, Measure(kind, members, 1.0)).tables["effects"]
    assert (effects["difference_mean"].abs() > 0).any(), kind


def test_deaths_are_infections_times_the_ifr(cut):
    from epicommons.assess.whatif import IFR

    e = cut.tables["effects"].set_index(["location", "metric"])["difference_mean"]
    np.testing.assert_allclose(
        e.xs("deaths_averted", level="metric"),
        e.xs("infections_averted", level="metric") * IFR,
        rtol=1e-12,
    )


def test_arrival_names_the_runs_reached_in_neither_arm(cut):
    arrival = cut.tables["arrival"]
    # TON and KIR had no case in the last two weeks: the only members not yet affected
    assert sorted(arrival["location"]) == ["KIR", "TON"]
    counts = arrival[["runs_both", "runs_baseline_only", "runs_measure_only", "runs_neither"]]
    assert (counts.sum(axis=1) == OPTIONS.runs).all()
    for row in arrival.itertuples():
        if row.runs_both + row.runs_baseline_only == 0:
            assert np.isnan(row.delay_median) and "no delay to measure" in row.note
        if row.runs_neither:
            assert "neither" in row.note or "nor under the measure" in row.note


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_same_tables(assessment, cut, hub_member):
    with open_backend(workers=2) as backend:
        other = what_if(assessment, cut.measure, backend=backend)
    for name, table in cut.tables.items():
        pd.testing.assert_frame_equal(other.tables[name], table, check_exact=True, obj=name)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"kind": "ban", "members": ["DEU"], "strength": 0.5}, "measure.kind"),
        ({"kind": "screening", "members": [], "strength": 0.5}, "measure.members"),
        ({"kind": "screening", "members": "DEU", "strength": 1.5}, "measure.strength"),
        ({"kind": "screening", "members": "DEU", "strength": "high"}, "measure.strength"),
        ({"kind": "screening", "members": "DEU", "strength": True}, "measure.strength"),
        ({"kind": "fast_lane", "members": ["DEU"], "strength": 0.5}, "measure.members"),
        ({"kind": "screening", "members": "DEU", "strength": 0.5, "start_day": 0}, "measure.start_day"),
        ({"kind": "screening", "members": "DEU", "strength": 0.5, "days": 2.5}, "measure.days"),
        ({"kind": "screening", "members": "DEU", "strength": 0.5, "colour": 1}, "measure.colour"),
    ],
)  # fmt: skip
def test_a_bad_measure_is_one_error_naming_the_field(raw, field):
    with pytest.raises(InputError) as caught:
        Measure.from_mapping(raw)
    assert caught.value.field == field


def test_a_measure_beyond_the_horizon_or_the_members_is_refused(assessment):
    with pytest.raises(InputError) as caught:
        what_if(assessment, Measure("screening", ("DEU",), 0.5, start_day=OPTIONS.horizon_days + 1))
    assert caught.value.field == "measure.start_day"
    with pytest.raises(InputError) as caught:
        what_if(assessment, Measure("screening", ("USA",), 0.5))
    assert caught.value.field == "measure.members" and "USA" in caught.value.message


def test_the_command_reads_an_assessment_folder_and_writes_the_same_tables(
    assessment, cut, hub_member, tmp_path, capsys
):
    folder, out = tmp_path / "assessment", tmp_path / "whatif"
    assessment.write(folder)
    args = ["assess-whatif", str(folder), "--measure", "travel_reduction", "--members"]
    assert main([*args, hub_member, "--strength", "0.9", "--out", str(out), "--quiet"]) == 0
    meta = json.loads((out / "whatif.json").read_text(encoding="utf-8"))
    assert meta["measure"]["members"] == [hub_member] and meta["runs"] == OPTIONS.runs
    written = pd.read_csv(out / "effects.csv")
    np.testing.assert_allclose(
        written["difference_mean"], cut.tables["effects"]["difference_mean"], rtol=1e-5
    )
    # bad input: exit 2, one line naming the field, nothing written
    bad = tmp_path / "bad"
    assert main([*args, hub_member, "--strength", "2", "--out", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "measure.strength" in err and "Traceback" not in err and not bad.exists()
    assert main([*args, hub_member, "--strength", "0.5", "--out", str(bad), "--days", "0"]) == 2
    assert main(["assess-whatif", str(tmp_path), "--measure", "screening", "--members", "DEU",
                 "--strength", "0.5", "--out", str(bad)]) == 2  # fmt: skip
    assert "assessment.json" in capsys.readouterr().err and not bad.exists()
