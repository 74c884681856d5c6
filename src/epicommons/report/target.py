"""Where a report goes: check the `--report` path before any work (`_files.check_output`), and
write the page atomically."""

from __future__ import annotations

from pathlib import Path

from epicommons._files import check_output

from .page import Page

SUFFIXES = (".html", ".htm")


def check_target(path: Path, option: str = "--report") -> Path:
    """Fail early, with one message, if an HTML page cannot be written at `path`."""
    return check_output(path, "file", option=option, suffixes=SUFFIXES)


def write_page(page: Page, path: Path, option: str = "--report") -> Path:
    """Write the page atomically; an OS error becomes a one-line `InputError`."""
    return page.write(path, option=option)
