"""Assessment jobs across server lives and outside the server: a real server SIGKILLed in the
middle of a job and started again leaves nothing running; `serve --assess-every` schedules
them; `epicommons hub assess|assessments|export-assessment` run, list and write them."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from sqlalchemy import select

import hub_assess_support as support
from epicommons.cli import main
from epicommons.hub.models import Job
from test_hub_support import backend_params, setup_hub

pytestmark = pytest.mark.slow
# Heavier settings than the other tests: the job must still be running when the server dies.
LONG = {**support.OPTIONS, "runs": 50, "nowcast_paths": 400, "forecast_samples": 2000}


def job_rows(hub) -> list[tuple[int, str, int, str]]:
    with hub.db.read() as session:
        return [
            (j.id, j.status, j.attempts, j.step)
            for j in session.scalars(select(Job).order_by(Job.id))
        ]


@pytest.fixture(params=backend_params())
def hub(request, tmp_path, shared_data):
    yield from support.assessed_hub(request.param, tmp_path, shared_data)


def test_a_server_killed_mid_job_leaves_nothing_running(hub):
    job_id = hub.start(LONG)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        (_, status, _, step), *_ = job_rows(hub)
        if status == "running" and step != "started":
            break
        time.sleep(0.05)
    hub.server.kill()  # SIGKILL: no shutdown, the job's thread dies with the process
    ((_, status, attempts, _),) = job_rows(hub)
    assert (status, attempts) == ("running", 1)  # left running by the dead server, mid-job
    hub.server.start()  # the new server recovers the job before it answers
    ((_, status, attempts, step),) = job_rows(hub)
    assert (status == "queued" and step.startswith("re-queued")) or (status, attempts) == (
        "running",
        2,
    )
    job = hub.wait(job_id)
    assert (job["status"], job["attempts"]) == ("done", 2), job
    assert "started 2 times" in support_page(hub)


def support_page(hub) -> str:
    from test_hub_pages_support import sign_in

    page = sign_in(hub, hub.tokens[(support.COORDINATOR, "coordinator")])
    return page.get("/dashboard/assessments").text


@pytest.fixture
def scheduled_hub(tmp_path, shared_data):
    options = tmp_path / "assessment.toml"
    lines = [f"{k} = {v}" for k, v in support.OPTIONS.items()]
    options.write_text("[assessment]\n" + "\n".join(lines) + "\n")
    serve = ["--assess-every", "2s", "--assess-options", str(options)]
    yield from support.assessed_hub("sqlite", tmp_path, shared_data, serve)


def test_serve_assess_every_schedules_assessments(scheduled_hub):
    hub = scheduled_hub
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        jobs = hub.coordinator().get("/assessments").json()
        if sum(j["status"] == "done" for j in jobs) >= 2:
            break
        # one scheduled job at a time: never two queued or running together
        assert sum(j["status"] in ("queued", "running") for j in jobs) <= 1, jobs
        time.sleep(0.5)
    done = [j for j in jobs if j["status"] == "done"]
    assert len(done) >= 2, jobs
    assert all(j["scheduled"] and j["created_by"] == "schedule" for j in jobs)
    assert all(j["params"]["runs"] == support.OPTIONS["runs"] for j in jobs)


@pytest.fixture
def quiet_hub(tmp_path, shared_data):
    """A fed hub whose server is stopped: the CLI works on its database alone."""
    for hub in support.assessed_hub("sqlite", tmp_path, shared_data):
        hub.server.stop()
        yield hub


def test_the_cli_runs_lists_and_exports_an_assessment(quiet_hub, tmp_path, capsys):
    hub = quiet_hub
    options = tmp_path / "options.toml"
    options.write_text("[assessment]\n" + "\n".join(f"{k} = {v}" for k, v in
                                                     support.OPTIONS.items()) + "\n")  # fmt: skip
    db = ["--db", hub.db.url]
    assert main(["hub", "assess", *db, "--options", str(options), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("assessment 1: done") and "21 members" in out
    assert "1 failed step(s)" in out  # Malta's
    assert main(["hub", "assessments", *db]) == 0
    listed = capsys.readouterr().out
    assert "done" in listed and str(support.today()) in listed
    folder = tmp_path / "out"
    assert main(["hub", "export-assessment", "1", "--out", str(folder), *db]) == 0
    assert (folder / "report.html").stat().st_size > 10_000
    assert (folder / "rt.parquet").exists() and (folder / "assessment.json").exists()
    assert main(["hub", "export-assessment", "1", "--out", str(folder), *db]) == 0  # replaced


def test_hub_assess_on_an_existing_dask_cluster_gives_the_same_tables(quiet_hub, tmp_path):
    """`--scheduler tcp://…`: the job's tasks run on a cluster started here on loopback; its
    tables equal those of the same assessment run in the process."""
    from distributed import LocalCluster

    from epicommons.hub.assessments import load

    hub = quiet_hub
    options = tmp_path / "options.toml"
    options.write_text("[assessment]\n" + "\n".join(f"{k} = {v}" for k, v in
                                                     support.OPTIONS.items()) + "\n")  # fmt: skip
    db = ["--db", hub.db.url, "--options", str(options), "--quiet"]
    assert main(["hub", "assess", *db]) == 0
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
        host="127.0.0.1", dashboard_address="127.0.0.1:0",
    ) as cluster:  # fmt: skip
        assert main(["hub", "assess", *db, "--scheduler", cluster.scheduler_address]) == 0
    here, there = load(hub.db, 1), load(hub.db, 2)
    assert here.input_stamp == there.input_stamp
    for name, table in here.tables.items():
        pd.testing.assert_frame_equal(there.tables[name], table, check_exact=True, obj=name)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hub", "export-assessment", "99", "--out", "{tmp}/x"], "no assessment 99"),
        (["hub", "assess", "--as-of", "2020-13-01"], "--as-of"),
        (["hub", "assess", "--options", "{tmp}/missing.toml"], "missing.toml"),
        (["hub", "assess", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "either"),
        (["hub", "assess", "--scheduler", "127.0.0.1:8786"], "tcp://"),
    ],
)
def test_cli_refusals_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    db, _ = setup_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args] + ["--db", db.url]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    with db.read() as session:
        assert session.scalars(select(Job)).all() == []  # nothing queued
    db.dispose()


@pytest.fixture
def small_hub(tmp_path, shared_data):
    """Three members; only DEU shares its reports, with FRA."""
    yield from support.assessed_hub("sqlite", tmp_path, shared_data, members=("DEU", "FRA", "ITA"))


def test_small_aggregates_that_could_single_out_a_member_are_suppressed(small_hub):
    """Shadow prices sum over all three members: fewer than k = 5, and ITA shares with nobody,
    so no member sees them; the coordinator does. Per-member rows follow the grants."""
    hub = small_hub
    job = hub.wait(hub.start())
    assert job["status"] == "done", job
    path = f"/assessments/{job['id']}/shadow_prices"
    assert hub.coordinator().get(path).json(), "the allocator found no shadow price"
    for member in ("DEU", "FRA", "ITA"):
        assert hub.client(member, "analyst").get(path).json() == [], member
    rt = hub.client("FRA", "analyst").get(f"/assessments/{job['id']}/rt").json()
    assert {r["location"] for r in rt} == {"FRA", "DEU"}
