"""Acting alone versus acting together: an outbreak in Brazil, the countries of the WHO European
region protecting themselves with the same measures, each alone or at a common border.

Run: .venv/bin/python examples/policy/alone_vs_together.py [RUNS]
Prints a markdown table (docs/validation/risk.md shows its output).
"""

from __future__ import annotations

import sys
from datetime import date

from epicommons.model import Seed, build_model
from epicommons.model.presets import covid_like
from epicommons.risk.together import alone_versus_together
from epicommons.world.groups import resolve_group
from epicommons.world.sources import load_network

START = date(2027, 1, 1)
MEASURES = [
    {"type": "travel_reduction", "start": date(2027, 1, 21), "reduction": 0.8},
    {"type": "screening", "start": date(2027, 1, 21)},
    {"type": "arrival_quarantine", "start": date(2027, 1, 21), "days": 10, "compliance": 0.8},
]


def markdown(df) -> str:
    """A DataFrame as a markdown table, numbers with one decimal."""

    def cell(v):
        return "-" if v != v else (f"{v:,.1f}" if isinstance(v, float) else str(v))

    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def main(runs: int = 40) -> None:
    net = load_network("builtin")
    members = sorted(resolve_group("who:EUR") & set(net.country))
    model = build_model(covid_like(), net)
    table = alone_versus_together(
        model, [Seed("BRA", 20)], "BRA", members, MEASURES, START, 120, runs, 3
    )
    big = table[
        table["country"].isin(
            [
                "DEU",
                "FRA",
                "GBR",
                "ITA",
                "ESP",
                "PRT",
                "POL",
                "NLD",
                "SWE",
                "TUR",
                "UKR",
                "GRC",
                "GROUP",
            ]
        )
    ]
    cols = [
        "country",
        "arrival_none",
        "arrival_alone",
        "arrival_together",
        "importations_none",
        "importations_alone",
        "importations_together",
        "delay_together_vs_alone",
        "averted_together_vs_alone",
    ]
    print(markdown(big[cols]))
    print(f"\n{len(members)} members; runs {runs}; measures from {MEASURES[0]['start']}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
