"""The hub benchmarks' `--out` replaces only the benchmark's own marked section of a file,
keeping hand-written notes and other benchmarks' sections (`bench_hub.write_section`)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_hub import write_section  # noqa: E402

PAGE = """# Hub performance

Notes written by hand before the tables.

<!-- bench_hub -->
## Old hub table
<!-- /bench_hub -->

A reading of the hub table, by hand.

<!-- bench_dhis2 -->
## DHIS2 table
<!-- /bench_dhis2 -->

Notes after.
"""


def test_a_benchmark_replaces_only_its_own_section(tmp_path):
    page = tmp_path / "hub.md"
    page.write_text(PAGE)
    expected = PAGE.replace("## Old hub table\n", "## New hub table\n\n| a |\n")
    write_section(page, "bench_hub", "## New hub table\n\n| a |\n")
    assert page.read_text() == expected
    write_section(page, "bench_hub", "## New hub table\n\n| a |\n")
    assert page.read_text() == expected  # a second run changes nothing else
    write_section(page, "bench_dhis2", "## New DHIS2 table")
    assert page.read_text() == expected.replace("## DHIS2 table", "## New DHIS2 table")


def test_a_section_the_file_lacks_is_appended(tmp_path):
    page = tmp_path / "notes.md"
    page.write_text("Notes.\n")
    write_section(page, "bench_dhis2", "## DHIS2\n")
    assert page.read_text() == "Notes.\n\n<!-- bench_dhis2 -->\n## DHIS2\n<!-- /bench_dhis2 -->\n"
    fresh = tmp_path / "new" / "hub.md"
    write_section(fresh, "bench_hub", "## Hub\n")
    assert fresh.read_text() == "<!-- bench_hub -->\n## Hub\n<!-- /bench_hub -->\n"


def test_the_hub_page_marks_both_benchmark_sections():
    text = (ROOT / "docs" / "performance" / "hub.md").read_text(encoding="utf-8")
    for name in ("bench_hub", "bench_dhis2"):
        assert text.count(f"<!-- {name} -->") == 1 and text.count(f"<!-- /{name} -->") == 1
        assert text.index(f"<!-- {name} -->") < text.index(f"<!-- /{name} -->")
