"""Parallel submissions, and a server SIGKILLed in the middle of a burst of submissions."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from epicommons.hub.models import AuditEntry, ReportValue, Submission, ValueRevision
from test_hub_support import Server, backend_params, fresh_database, running_hub, setup_hub

THREADS = 8


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    yield from running_hub(request.param, tmp_path_factory.mktemp("parallel"))


def report(dates: list[dt.date], indicator: str, value: float) -> dict:
    return {
        "values": [{"date": d.isoformat(), "indicator": indicator, "value": value} for d in dates]
    }


def test_parallel_submissions_neither_duplicate_nor_lose_rows(hub):
    start = dt.date(2025, 1, 1)
    shared = [start + dt.timedelta(days=i) for i in range(30)]  # every thread sends these

    def work(thread: int) -> list[dict]:
        client = hub.client("KOR", "reporter")
        out = []
        for n in range(6):
            own = [start + dt.timedelta(days=100 + thread * 50 + n * 5 + k) for k in range(5)]
            body = report(shared, "tests", 7)
            body["values"] += report(own, "tests", thread * 100 + n)["values"]
            response = client.post("/members/KOR/reports", json=body)
            assert response.status_code == 200, response.text
            out.append(response.json())
        return out

    with ThreadPoolExecutor(THREADS) as pool:
        summaries = list(itertools.chain.from_iterable(pool.map(work, range(THREADS))))
    expected = {d: 7.0 for d in shared}
    for thread in range(THREADS):
        for n in range(6):
            for k in range(5):
                expected[start + dt.timedelta(days=100 + thread * 50 + n * 5 + k)] = float(
                    thread * 100 + n
                )
    with hub.db.read() as s:
        rows = s.execute(
            select(ReportValue.date, ReportValue.value).where(ReportValue.indicator == "tests")
        ).all()
        revisions = s.execute(
            select(ValueRevision.date, ValueRevision.value).where(
                ValueRevision.indicator == "tests"
            )
        ).all()
    assert len(rows) == len(expected) == 30 + THREADS * 6 * 5
    assert dict(rows) == expected
    assert sorted(revisions) == sorted(expected.items())  # one revision per value, no more
    imported = sum(x["importCount"]["imported"] for x in summaries)
    ignored = sum(x["importCount"]["ignored"] for x in summaries)
    assert imported == len(expected)  # each row imported exactly once
    assert ignored == THREADS * 6 * 30 - 30
    assert all(x["importCount"]["updated"] == 0 for x in summaries)


@pytest.mark.slow
@pytest.mark.parametrize("backend", backend_params())
def test_sigkill_during_a_burst_loses_no_acknowledged_submission(backend, tmp_path):
    fresh = fresh_database(backend, tmp_path)
    db, tokens = setup_hub(fresh.url)
    server = Server(fresh.url, ["--rate-limit", "100000"]).start()
    origin = dt.date(1950, 1, 1)
    width = 20
    counter = itertools.count()
    acked: set[int] = set()
    sent: set[int] = set()
    owner: dict[int, str] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def body(n: int) -> dict:
        dates = [origin + dt.timedelta(days=n * width + k) for k in range(width)]
        return report(dates, "tests", n)

    def burst(member: str) -> None:
        client = httpx.Client(
            base_url=server.url + "/api/v1",
            timeout=30,
            headers={"Authorization": f"Bearer {tokens[(member, 'reporter')]}"},
        )
        while not stop.is_set():
            n = next(counter)
            with lock:
                sent.add(n)
            try:
                response = client.post(
                    f"/members/{member}/reports",
                    json=body(n),
                    headers={"Idempotency-Key": f"burst-{n}"},
                )
            except httpx.TransportError:
                return
            if response.status_code == 200:
                with lock:
                    acked.add(n)
                    owner[n] = member

    try:
        members = ["KOR", "JPN", "CHN", "KOR", "JPN", "CHN", "KOR", "JPN"]
        threads = [threading.Thread(target=burst, args=(m,)) for m in members]
        for t in threads:
            t.start()
        while len(acked) < 60 and all(t.is_alive() for t in threads):
            threading.Event().wait(0.01)
        server.kill()
        stop.set()
        for t in threads:
            t.join()
        assert len(acked) >= 60
        server.start()  # same database, new process
        with db.read() as s:
            stored = s.execute(select(ReportValue.date, ReportValue.value)).all()
            submissions = s.scalar(select(func.count()).select_from(Submission))
            audits = s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "report")
            )
        by_submission: dict[int, list[float]] = {}
        for day, value in stored:
            n = (day - origin).days // width
            assert value == n
            by_submission.setdefault(n, []).append(value)
        missing = acked - set(by_submission)
        half = {n: len(v) for n, v in by_submission.items() if len(v) != width}
        print(
            f"crash test ({backend}): {len(sent)} sent, {len(acked)} acknowledged, "
            f"{len(by_submission)} stored, {len(missing)} acknowledged but missing, "
            f"{len(half)} half-written"
        )
        assert not missing and not half
        assert set(by_submission) <= sent
        assert submissions == audits == len(by_submission)
        # A client that lost its answer retries with the same key and gets the stored one.
        n = max(k for k in acked if owner[k] == "KOR")
        kor = httpx.Client(
            base_url=server.url + "/api/v1",
            headers={"Authorization": f"Bearer {tokens[('KOR', 'reporter')]}"},
        )
        retry = kor.post(
            "/members/KOR/reports", json=body(n), headers={"Idempotency-Key": f"burst-{n}"}
        )
        assert retry.status_code == 200 and retry.json()["replayed"]
    finally:
        stop.set()
        server.stop()
        db.dispose()
        fresh.close()
