"""Every command answers --help with an example, and bad usage exits 2 without a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from epicommons.cli import app, main
from epicommons.errors import InputError


def _commands(group, prefix: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        yield path, cmd
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, path)


ALL = list(_commands(typer.main.get_command(app)))
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cmd_by_path():
    return dict(ALL)


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=[" ".join(p) for p, _ in ALL])
def test_every_command_has_help_with_example(path, capsys):
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Example" in out, f"`epicommons {' '.join(path)} --help` shows no example"


def test_unknown_command_exits_2(capsys):
    assert main(["no-such-command"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_input_error_names_where():
    err = InputError("expected a number", source="f.csv", line=4, field="cases")
    assert str(err) == "f.csv, line 4, field 'cases': expected a number"


def test_console_script_runs():
    out = subprocess.run(
        [sys.executable, "-m", "epicommons", "--help"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0
    assert "epicommons" in out.stdout


MARKUP = re.compile(r"\\?\[[a-z#/@][^\[\]]*\]")  # what rich would read as a style tag


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=[" ".join(p) for p, _ in ALL])
def test_help_keeps_its_brackets_and_names_files_that_exist(path, cmd_by_path, capsys, monkeypatch):
    """Rich markup once swallowed `[grid]` from `sweep --help`; example files must be shipped."""
    monkeypatch.setenv("COLUMNS", "250")
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    cmd = cmd_by_path[path]
    texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
    for text in texts:
        for tag in MARKUP.findall(text):
            assert tag.lstrip("\\").replace("\\[", "[") in out, f"{tag} lost from the help"
    for name in re.findall(r"examples/[\w/.\-]+\w", out):
        assert (REPO / name).exists(), f"`epicommons {' '.join(path)} --help` names {name}"


def test_sweep_help_shows_the_shipped_grid(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["sweep", "--help"]) == 0
    out = capsys.readouterr().out
    grid = (REPO / "examples" / "calibration" / "grid.toml").read_text().splitlines()
    for line in (ln for ln in grid if ln and not ln.startswith("#")):
        assert line in out


def test_version_prints_the_installed_distributions_version():
    from importlib.metadata import version

    out = subprocess.run(
        [sys.executable, "-m", "epicommons", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.strip() == f"epicommons {version('epicommons')}"
