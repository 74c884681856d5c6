"""Every command answers --help with an example, and bad usage exits 2 without a traceback."""

from __future__ import annotations

import subprocess
import sys

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
