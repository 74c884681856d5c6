"""The vaccine cooperation study's Markdown summary: our shares of deaths averted beside the
published ones (Chinazzi et al. 2020), by income group, and the setting that produced them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .format import count

if TYPE_CHECKING:  # the results type only; report/ does not run studies
    from epicommons.studies.vaccine_cooperation import StudyResult

PUBLISHED = {
    "proportional": 0.61,
    "high_income_first": 0.33,
}  # Chinazzi et al. 2020, deaths averted


def vaccine_study_markdown(result: StudyResult, command: str = "") -> str:
    """Short report: our shares of deaths averted beside the published ones, and the setting."""
    s = result.setting
    world = result.world_table()
    runs = result.deaths.shape[1]
    lines = [
        "# Vaccine cooperation study (setting of Chinazzi et al. 2020)",
        "",
        f"{runs} runs, seed {result.seed}; supply {count(s.supply)} courses over {s.weeks} weeks from "
        f"{s.vaccination_start}, efficacy {s.efficacy:.0%}, oldest first; R0 {s.R0}, "
        f"transmission -{s.mitigation:.0%} from {s.mitigation_start}"
        f"{f' ({len(s.country_mitigation)} countries fitted separately)' if s.country_mitigation else ''} "
        f"({', '.join(f'{c}: -{r:.0%} from {d}' for c, d, r in s.early_mitigation) or 'none earlier'}); "
        f"deaths counted to {s.end}.",
        "",
        "| arm | deaths (median, 5-95%) | share averted (ours) | 5-95% (paired runs) | published |",
        "|---|---|---|---|---|",
    ]
    for _, r in world.iterrows():
        pub = PUBLISHED.get(r["arm"])
        lines.append(
            f"| {r['arm']} | {r['deaths_median']:,.0f} ({r['deaths_p05']:,.0f}-"
            f"{r['deaths_p95']:,.0f}) | {r['averted_share']:.0%} | "
            f"{r['averted_share_p05']:.0%}-{r['averted_share_p95']:.0%} | "
            f"{'' if pub is None else f'{pub:.0%}'} |"
        )
    lines += ["", "By income group (World Bank FY2021 high income vs the rest):", ""]
    inc = result.income_table()
    lines += [
        "| group | arm | courses given | deaths averted (median, 5-95%) | share averted |",
        "|---|---|---|---|---|",
    ]
    for _, r in inc.iterrows():
        lines.append(
            f"| {r['income_group']} | {r['arm']} | {count(r['courses_given'])} | "
            f"{r['averted_median']:,.0f} ({r['averted_p05']:,.0f}-{r['averted_p95']:,.0f}) | "
            f"{r['averted_share']:.0%} |"
        )
    if command:
        lines += ["", f"Command: `{command}`"]
    return "\n".join(lines) + "\n"
