"""Files at the edges: reading a user's text file, checking where an output goes, and writing
it so that a reader never sees half of it.

One home for three rules every command follows:
- an input file that cannot be read, is not UTF-8 or is not valid TOML is one `InputError`;
- an output path is checked *before* any computation (`check_output`): a folder where a file is
  expected, a file where a folder is expected, a parent that is a file, a place that cannot be
  written, a results folder that would overwrite someone else's files;
- outputs are written to a temporary file or folder beside the target and renamed into place
  (`atomic_file`, `atomic_folder`), with the permissions the user's umask gives any new file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from os import PathLike
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from epicommons.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


def read_text(path: str | PathLike[str], what: str = "file") -> str:
    """The text of a user's UTF-8 file; any failure is an `InputError` naming the file."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise InputError(f"is a folder; expected a {what}", source=path) from None
    except FileNotFoundError:
        raise InputError(f"{what} not found", source=path) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", source=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not a UTF-8 text {what} (byte {exc.start} cannot be decoded)", source=path
        ) from None


def read_toml(path: str | PathLike[str], what: str = "file") -> tuple[dict, str]:
    """A TOML file's tables and its text; errors name the file."""
    import tomllib

    text = read_text(path, what)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", source=path) from None


def check_output(
    path: str | PathLike[str],
    kind: Literal["file", "folder"] = "file",
    *,
    option: str = "--out",
    suffixes: Sequence[str] = (),
    marker: str | None = None,
) -> Path:
    """Fail early, with one message, if `path` cannot take this command's output.

    A file must not be an existing folder and must end in one of `suffixes` (when given). A
    folder must not be an existing file; when it exists and is not empty it must hold `marker`,
    the file that says an earlier run of the same command made it (so it may be replaced). The
    nearest existing folder on the way must be a folder we can write in: probed with a temporary
    file, which catches read-only places even for a superuser.
    """
    path = Path(path)
    if kind == "file":
        if path.is_dir():
            raise InputError("is a folder; expected a file to write", source=path, field=option)
        if suffixes and path.suffix.lower() not in suffixes:
            raise InputError(
                f"expected a file ending in {' or '.join(suffixes)}, got {path.name!r}",
                source=path,
                field=option,
            )
    elif path.exists():
        if not path.is_dir():
            raise InputError(
                "exists and is not a folder; expected a folder to write into",
                source=path,
                field=option,
            )
        if marker is not None and any(path.iterdir()) and not (path / marker).exists():
            raise InputError(
                f"exists and is not an epicommons results folder (it holds other files but no "
                f"{marker}); choose a new or empty folder",
                source=path,
                field=option,
            )
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(
            f"{ancestor} is a file, not a folder; cannot write {path}", source=path, field=option
        )
    try:
        fd, probe = tempfile.mkstemp(dir=ancestor, prefix=".epicommons-probe-")
    except OSError as exc:
        raise InputError(
            f"cannot write in {ancestor}: {exc.strerror or exc}", source=path, field=option
        ) from None
    os.close(fd)
    os.unlink(probe)
    return path


@contextlib.contextmanager
def atomic_file(
    path: str | PathLike[str], mode: Literal["w", "wb"] = "w", *, option: str = "--out"
) -> Iterator[IO]:
    """Open a temporary file beside `path` for writing; on success it replaces `path`."""
    path = Path(path)
    with _as_input_error(path, option):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        kwargs = {"encoding": "utf-8", "newline": ""} if mode == "w" else {}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
        with _as_input_error(path, option):
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_folder(
    out: str | PathLike[str], marker: str, *, option: str = "--out"
) -> Iterator[Path]:
    """A temporary folder beside `out` to fill; on success it replaces `out` whole.

    `out` may be absent, empty, or an earlier output of the same command (it holds `marker`,
    which the caller writes into the new folder too); anything else is refused before writing.
    """
    out = check_output(out, "folder", option=option, marker=marker)
    if out.exists() and Path.cwd().resolve().is_relative_to(out.resolve()):
        raise InputError(
            "is the current folder or one above it; choose a folder of its own",
            source=out,
            field=option,
        )
    with _as_input_error(out, option):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        with _as_input_error(out, option):
            old = None
            if out.exists():
                old = out.with_name(f".{out.name}-old-{os.getpid()}")
                out.rename(old)
            tmp.rename(out)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_files(
    out: str | PathLike[str], files: dict[str, pd.DataFrame | str], *, option: str = "--out"
) -> list[Path]:
    """Write tables (CSV) and texts into the folder `out`, beside what it already holds: all are
    written to a staging folder inside `out` first, then each is renamed into place."""
    out = check_output(out, "folder", option=option)
    with _as_input_error(out, option):
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".epicommons-", dir=out))
    try:
        for name, content in files.items():
            if isinstance(content, str):
                (staging / name).write_text(content, encoding="utf-8")
            else:
                content.to_csv(staging / name, index=False)
        with _as_input_error(out, option):
            for name in files:
                os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / name for name in files]


def write_csv(table: pd.DataFrame, path: str | PathLike[str], **kwargs) -> Path:
    """Write `table` to `path` atomically (a reader never sees a half-written file); numbers
    with six significant digits, never in exponent notation (11360580, not 1.13606e+07)."""
    with atomic_file(path, **kwargs) as handle:
        table.to_csv(handle, index=False, float_format=csv_number)
    return Path(path)


def csv_number(value: float) -> str:
    """Six significant digits below 100,000, whole numbers above (exact to the unit)."""
    return f"{value:.6g}" if abs(value) < 1e5 else f"{value:.0f}"


def write_text(text: str, path: str | PathLike[str], **kwargs) -> Path:
    """Write `text` to `path` atomically."""
    with atomic_file(path, **kwargs) as handle:
        handle.write(text)
    return Path(path)


@contextlib.contextmanager
def _as_input_error(path: Path, option: str) -> Iterator[None]:
    """An OS failure while writing an output is the user's path problem: one line, not a trace."""
    try:
        yield
    except OSError as exc:
        raise InputError(
            f"cannot write: {exc.strerror or exc}", source=path, field=option
        ) from None


def _umask() -> int:
    """The process umask (reading it means setting it; it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
