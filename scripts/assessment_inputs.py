"""Write an `epicommons assess` input folder from the JHU case file: the members' daily counts
as the seeded revision process reports them (counts.csv, every report up to the last date) and
assessment.toml with the as-of date. Stocks and pledges are the user's own (optional files).

Usage: .venv/bin/python scripts/assessment_inputs.py --shared-data ../shared/data \
           --members AUT,BEL,DEU,FRA,ITA --from 2020-08-01 --to 2021-02-28 --as-of 2020-12-01 \
           --out data/assessment
"""

from __future__ import annotations

import argparse
from pathlib import Path

from epicommons._files import check_output, write_csv, write_text
from epicommons.surveillance import read_jhu
from epicommons.surveillance.revision_process import final_counts, simulate_reports

JHU = "jhu_csse_covid19/time_series_covid19_confirmed_global.csv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--shared-data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--members", default="AUT,BEL,CHE,DEU,DNK,ESP,FRA,ITA,NLD,POL")
    ap.add_argument("--from", dest="start", default="2020-08-01")
    ap.add_argument("--to", dest="end", default="2021-02-28")
    ap.add_argument("--as-of", default="2020-12-01")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    check_output(args.out, "folder")
    members = [m.strip() for m in args.members.split(",") if m.strip()]
    final = final_counts(read_jhu(args.shared_data / JHU), members, args.start, args.end)
    reports = simulate_reports(final, seed=args.seed)
    reports["reference_date"] = reports["reference_date"].dt.strftime("%Y-%m-%d")
    reports["report_date"] = reports["report_date"].dt.strftime("%Y-%m-%d")
    write_csv(reports, args.out / "counts.csv")
    listed = ", ".join(f'"{m}"' for m in members)
    write_text(
        f"[assessment]\nas_of = {args.as_of}\nmembers = [{listed}]\n", args.out / "assessment.toml"
    )
    print(f"wrote {args.out}: {len(reports):,} reports of {len(members)} members")


if __name__ == "__main__":
    main()
