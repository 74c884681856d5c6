"""Rt route: a member's reproduction number from its stored new cases."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from ..access import may_read
from ..problems import HubProblem
from ..reports import series
from ..schemas import AsOf, IsoDate, RtOut
from .deps import Caller, HubDep, MemberDep

router = APIRouter(tags=["analytics"])


@router.get("/members/{code}/rt", response_model=RtOut)
async def rt(
    caller: Caller,
    state: HubDep,
    member: MemberDep,
    start: Annotated[IsoDate | None, Query()] = None,
    end: Annotated[IsoDate | None, Query()] = None,
    si_mean: Annotated[float, Query(gt=1, le=60, description="serial interval mean, days")] = 4.7,
    si_sd: Annotated[float, Query(ge=0.1, le=60, description="serial interval sd, days")] = 2.9,
    window: Annotated[int, Query(ge=2, le=60)] = 7,
    method: Literal["cori", "wallinga-teunis"] = "cori",
    as_of: Annotated[
        AsOf | None, Query(description="from the cases as known at this date or time")
    ] = None,
) -> dict:
    """Rt per sliding window from the member's new_cases (EpiEstim's method via surveillance).

    The default serial interval (mean 4.7, sd 2.9 days) is COVID-19's (Nishiura et al. 2020).
    Days without a report count as zero cases; `filled_days` says how many there were.
    """

    def load() -> list[tuple[dt.date, float]]:
        with state.db.read() as session:
            if not may_read(session, caller, member.id, "reports"):
                raise HubProblem(403, f"{member.code} has not shared its reports with you")
            return series(session, member.id, "new_cases", start=start, end=end, as_of=as_of)

    from ..rt import member_rt  # pandas and SciPy load on first use, not at server start

    rows = await run_in_threadpool(load)
    result = await run_in_threadpool(
        member_rt, rows, si_mean=si_mean, si_sd=si_sd, window=window, method=method
    )
    return {
        "member": member.code,
        "method": method,
        "si_mean": si_mean,
        "si_sd": si_sd,
        "window": window,
        **result,
    }
