"""Where a report goes: check the `--report` path before any work, and write without half-files.

A command checks its target first (so a bad path costs nothing and leaves nothing behind), builds
the page from its results, and writes it atomically; an OS failure becomes an `InputError`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from epicommons.errors import InputError

from .page import Page

SUFFIXES = (".html", ".htm")


def check_target(path: Path, option: str = "--report") -> Path:
    """Fail early, with one message, if an HTML page cannot be written at `path`.

    The nearest existing folder on the way is probed with a temporary file (removed at once),
    which catches read-only places even for a superuser.
    """
    if path.is_dir():
        raise InputError(f"{path} is a folder; expected an .html file to write", field=option)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"expected a file ending in .html, got {path.name!r}", source=path, field=option
        )
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{ancestor} is not a folder; cannot write {path}", field=option)
    try:
        fd, probe = tempfile.mkstemp(dir=ancestor, prefix=".epicommons-probe-")
    except OSError as exc:
        raise InputError(f"cannot write in {ancestor}: {exc.strerror}", field=option) from None
    os.close(fd)
    os.unlink(probe)
    return path


def write_page(page: Page, path: Path, option: str = "--report") -> Path:
    """Write the page atomically; an OS error becomes a one-line `InputError`."""
    try:
        return page.write(path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}", field=option) from None
