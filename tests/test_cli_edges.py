"""Every command meets bad output paths, bad files and failures the same way: one line naming
the path and option, exit status 2, nothing written, before any computation; outputs follow the
user's umask. The rules live in `epicommons._files` and `epicommons.errors`; these tests run
the real commands."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import pytest

from epicommons.cli import main

REPO = Path(__file__).resolve().parents[1]
EX = REPO / "examples"
SHARED = Path(os.environ.get("EPICOMMONS_SHARED_DATA", REPO.parent / "shared" / "data"))
JHU = SHARED / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"
SARI = SHARED / "respinow_de" / "SARI__reporting_triangle-icosari-sari.csv"

# Each command with every argument but its output path, which the test appends.
COMMANDS: dict[str, tuple[str, list[str]]] = {
    "rt": ("file", ["rt", str(JHU), "--country", "NZL", "--si-mean", "4.8", "--si-sd", "2.3"]),
    "simulate": ("folder", ["simulate", str(EX / "scenarios" / "seir_builtin.toml")]),
    "risk": ("folder", ["risk", "--source", "ITA", "--runs", "2", "--days", "30"]),
    "compare": (
        "folder",
        ["compare", str(EX / "policy" / "baseline.toml"), str(EX / "policy" / "cut90.toml")],
    ),
    "allocate": ("folder", ["allocate", str(EX / "assist" / "allocation" / "problem.toml")]),
    "repatriate": ("folder", ["repatriate", str(EX / "assist" / "repatriation" / "plan.toml")]),
    "vaccine-study": ("folder", ["vaccine-study", "--runs", "2"]),
    "calibrate": (
        "folder",
        ["calibrate", str(EX / "calibration" / "europe_2020.toml"), "--data", str(JHU)],
    ),
    "sweep": (
        "file",
        [
            "sweep",
            str(EX / "calibration" / "sweep_seir.toml"),
            "--grid",
            str(EX / "calibration" / "grid.toml"),
        ],
    ),
    "demo": ("folder", ["demo", "--runs", "2"]),
    "nowcast": ("file", ["nowcast", str(SARI), "--age-group", "00+", "--max-delay", "4"]),
    "nowcast-evaluate": (
        "folder",
        ["nowcast-evaluate", str(SARI), "--from", "2024-10-06", "--to", "2024-11-03"],
    ),
    "scenario init": ("file", ["scenario", "init"]),
    "forecast": ("folder", ["forecast", str(JHU), "--country", "ITA", "--date", "2021-03-06"]),
    "forecast-evaluate": (
        "folder",
        ["forecast-evaluate", str(JHU), "--country", "ITA", "--from", "2021-01-01"]
        + ["--to", "2021-02-28"],
    ),
}


def _bad_outputs(tmp_path: Path, kind: str) -> dict[str, Path]:
    """One path per class of unusable output."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine\n")
    a_folder = tmp_path / "folder"
    a_folder.mkdir(exist_ok=True)
    (a_folder / "thesis.txt").write_text("precious\n")
    cases = {
        "parent is a file": a_file / ("o.csv" if kind == "file" else "out"),
        "not writable": Path("/proc/epicommons-nowhere") / ("o.csv" if kind == "file" else "out"),
    }
    if kind == "file":
        cases["a folder where a file is expected"] = a_folder
    else:
        cases["a file where a folder is expected"] = a_file
    return cases


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_refuses_an_unusable_out_before_computing(name, tmp_path, capsys):
    kind, argv = COMMANDS[name]
    for label, bad in _bad_outputs(tmp_path, kind).items():
        before = sorted(p.name for p in tmp_path.rglob("*"))
        status = main([*argv, "--out", str(bad), "--quiet"])
        err = capsys.readouterr().err
        assert status == 2, (name, label, err)
        assert err.startswith("error: ") and err.count("\n") == 1, (name, label, err)
        assert "--out" in err and "Traceback" not in err, (name, label, err)
        assert sorted(p.name for p in tmp_path.rglob("*")) == before, (name, label)


@pytest.mark.parametrize("name", ["simulate", "compare", "calibrate"])
def test_a_binary_scenario_is_one_line(name, tmp_path, capsys):
    binary = tmp_path / "scenario.toml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    argv = {
        "simulate": ["simulate", str(binary)],
        "compare": ["compare", str(binary), str(binary)],
        "calibrate": ["calibrate", str(binary), "--data", str(JHU)],
    }[name]
    assert main([*argv, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not a UTF-8 text scenario" in err and str(binary) in err


def test_simulate_given_a_calibration_file_points_to_calibrate(tmp_path, capsys):
    path = EX / "calibration" / "europe_2020.toml"
    assert main(["simulate", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "epicommons calibrate" in capsys.readouterr().err


ENSEMBLES = ("simulate", "risk", "compare", "vaccine-study", "calibrate", "sweep")
BAD_BACKEND = {
    "no workers": (["--workers", "0"], "--workers"),
    "both": (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "--workers"),
    "not an address": (["--scheduler", "127.0.0.1:8786"], "--scheduler"),
}


@pytest.mark.parametrize("name", ENSEMBLES)
@pytest.mark.parametrize("case", list(BAD_BACKEND))
def test_bad_workers_or_scheduler_is_one_line_before_computing(name, case, tmp_path, capsys):
    extra, field = BAD_BACKEND[case]
    out = tmp_path / "o"
    assert main([*COMMANDS[name][1], "--out", str(out), *extra, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert field in err and not out.exists()


@pytest.mark.parametrize("name", ["simulate", "risk", "compare", "vaccine-study", "calibrate"])
def test_an_unknown_engine_is_one_line(name, tmp_path, capsys):
    out = tmp_path / "o"
    assert main([*COMMANDS[name][1], "--out", str(out), "--engine", "warp", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--engine" in err and "exact" in err and "fast" in err
    assert not out.exists()


@pytest.mark.parametrize("name", ["risk", "compare", "vaccine-study"])
def test_commands_that_count_runs_refuse_the_deterministic_engine(name, tmp_path, capsys):
    argv = [*COMMANDS[name][1], "--out", str(tmp_path / "o"), "--engine", "deterministic"]
    assert main([*argv, "--quiet"]) == 2
    assert "--engine" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name", ["calibrate", "simulate", "risk", "compare", "vaccine-study"])
def test_an_unreachable_scheduler_is_one_line(name, tmp_path, capsys, monkeypatch):
    import epicommons.backend

    # a real refused connection; waiting the full 10 s for it five times is what the test spared
    monkeypatch.setattr(epicommons.backend, "CONNECT_TIMEOUT_S", 1)
    argv = COMMANDS[name][1]
    out = tmp_path / "o"
    assert main([*argv, "--out", str(out), "--scheduler", "tcp://127.0.0.1:1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "cannot reach a Dask scheduler at tcp://127.0.0.1:1" in err
    assert "--scheduler" in err and not out.exists()


def test_a_bug_is_one_line_with_status_70(monkeypatch, capsys):
    import epicommons.cli.world_countries as command

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(command, "registry", broken)
    monkeypatch.delenv("EPICOMMONS_DEBUG", raising=False)
    assert main(["world", "countries", "--search", "korea"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("error: internal error (RuntimeError: boom)")
    assert "Traceback" not in err


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_outputs_follow_the_umask(mask, tmp_path):
    old = os.umask(mask)
    try:
        file_out = tmp_path / "alloc"
        assert main([*COMMANDS["allocate"][1], "--out", str(file_out), "--quiet"]) == 0
        folder_out = tmp_path / "seir"
        argv = [*COMMANDS["simulate"][1], "--runs", "2"]
        assert main([*argv, "--out", str(folder_out), "--quiet"]) == 0
        rt_out = tmp_path / "rt.csv"
        assert main([*COMMANDS["rt"][1], "--out", str(rt_out), "--quiet"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((file_out / "allocation.csv").stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE(folder_out.stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((folder_out / "metadata.json").stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE(rt_out.stat().st_mode) == 0o666 & ~mask


def test_every_pydantic_model_is_validated_through_errors_validate():
    """One translator of validation errors: no module outside errors.py calls model_validate or
    catches pydantic's ValidationError itself (the hub's request validation is FastAPI's; FHIR
    resources are FHIR's own models, whose errors `hub/fhir` answers in FHIR's own shape, an
    OperationOutcome naming the element path)."""
    offenders = []
    for path in (REPO / "src" / "epicommons").rglob("*.py"):
        rel = path.relative_to(REPO / "src" / "epicommons").as_posix()
        if rel == "errors.py" or rel.startswith(("hub/migrations/", "hub/fhir/")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "model_validate":
                offenders.append(f"{rel}:{node.lineno} model_validate")
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "pydantic"
                and any(a.name == "ValidationError" for a in node.names)
            ):
                offenders.append(f"{rel}:{node.lineno} imports ValidationError")
    assert offenders == []
