"""CPU seconds of hub imports in process (no HTTP): 100 reports of 200 new values, then 100
corrections of the same 200 keys each, through `hub.reports.import_report`; then CPU per read of
a page of 1,000 values (`hub.reports.value_rows`), current and as known at a date (`as_of`, when
the code has it).

Run the same script with `PYTHONPATH` at two versions of `src` to compare them side by side:

    PYTHONPATH=src python benchmarks/bench_hub_import_cpu.py [postgresql+psycopg://…/emptydb]

With a PostgreSQL URL (an empty database) the database server's own CPU is not counted in the
CPU figures; the wall time per read includes it.
"""

from __future__ import annotations

import datetime as dt
import inspect
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from epicommons.hub import admin
from epicommons.hub.access import Principal
from epicommons.hub.db import open_database
from epicommons.hub.models import Member
from epicommons.hub.reports import import_report, records_from_json, value_rows

LEVEL = {
    "new_cases": 50,
    "new_deaths": 2,
    "tests": 900,
    "hospital_occupancy": 30,
    "icu_occupancy": 4,
}


def body(start: dt.date, offset: int) -> dict:
    """200 values: five indicators on 40 dates, every rule satisfied; `offset` corrects them."""
    return {
        "values": [
            {
                "date": (start + dt.timedelta(days=d)).isoformat(),
                "indicator": i,
                "value": level + d + offset,
            }
            for d in range(40)
            for i, level in LEVEL.items()
        ]
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{Path(tmp) / 'h.db'}")
        admin.init(db)
        admin.add_member(db, "KOR")
        token = admin.issue_token(db, "KOR", "reporter")
        with db.read() as s:
            member = s.scalar(select(Member).where(Member.code == "KOR"))
        caller = Principal(token.id, member.id, "KOR", "reporter")
        first = dt.date(1901, 1, 1)
        starts = [first + dt.timedelta(days=40 * n) for n in range(100)]
        seconds = []
        for offset in (0, 1):
            batch = [records_from_json(body(day, offset), 10_000) for day in starts]
            t0 = time.process_time()
            for records in batch:
                summary = import_report(db, caller, member, records, from_text=False)
                assert summary.imported + summary.updated == 200, summary
            seconds.append(time.process_time() - t0)
        print(f"imports: new {seconds[0]:.2f} s, corrections {seconds[1]:.2f} s (CPU)")
        known = "as_of" in inspect.signature(value_rows).parameters  # code before revisions: no
        for as_of in (None, dt.date(2030, 1, 1)) if known else (None,):
            extra = {} if as_of is None else {"as_of": as_of}
            t0, w0 = time.process_time(), time.perf_counter()
            for _ in range(20):
                with db.read() as s:
                    rows = value_rows(
                        s,
                        Member.id == member.id,
                        indicator=None,
                        start=None,
                        end=None,
                        limit=1000,
                        offset=0,
                        **extra,
                    )
            per_read = (time.process_time() - t0) / 20 * 1000
            wall = (time.perf_counter() - w0) / 20 * 1000
            print(
                f"read of {len(rows)} values, as_of={as_of}: {per_read:.1f} ms CPU, "
                f"{wall:.1f} ms wall (with the database server's time)"
            )
            if (
                not hasattr(value_rows, "__wrapped__")
                and "as_of" not in value_rows.__code__.co_varnames
            ):
                break
        db.dispose()


if __name__ == "__main__":
    main()
