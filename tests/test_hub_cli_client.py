"""`epicommons hub submit / share / revoke` against a running hub: the API's rules, printed plainly."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from epicommons.cli import main
from epicommons.hub.models import ReportValue, SharingGrant
from test_hub_support import free_port, running_hub


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    yield from running_hub("sqlite", tmp_path_factory.mktemp("cli-client"))


def test_submit_prints_the_import_summary_and_stores_the_rows(hub, tmp_path, capsys):
    report = tmp_path / "cases.csv"
    report.write_text(
        "date,indicator,item,value\n2024-03-01,new_cases,,12\n2024-03-01,new_deaths,,1\n"
    )
    token = hub.tokens[("KOR", "reporter")]
    args = ["hub", "submit", str(report), "--member", "KOR", "--url", hub.url, "--token", token]
    assert main(args) == 0
    assert "OK: 2 imported, 0 updated, 0 ignored" in capsys.readouterr().out
    assert main(args) == 0  # the same content again changes nothing
    assert "0 imported, 0 updated, 2 ignored" in capsys.readouterr().out
    with hub.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ReportValue)) == 2


def test_submit_shows_conflicts_and_exits_2(hub, tmp_path, capsys):
    report = tmp_path / "bad.csv"
    report.write_text("date,indicator,item,value\n2024-03-02,new_cases,,1_000\n")
    token = hub.tokens[("KOR", "reporter")]
    assert (
        main(["hub", "submit", str(report), "--member", "KOR", "--url", hub.url, "--token", token])
        == 2
    )
    captured = capsys.readouterr()
    assert "row 2, field value: expected a number" in captured.out
    assert "nothing was stored" in captured.err
    other = hub.tokens[("JPN", "reporter")]  # a token of another member: the API's 403
    assert (
        main(["hub", "submit", str(report), "--member", "KOR", "--url", hub.url, "--token", other])
        == 2
    )
    assert "403" in capsys.readouterr().err


def test_share_and_revoke(hub, capsys):
    token = hub.tokens[("KOR", "reporter")]
    common = [
        "--member",
        "KOR",
        "--with",
        "CHN",
        "--scope",
        "reports",
        "--url",
        hub.url,
        "--token",
        token,
    ]
    assert main(["hub", "share", *common]) == 0
    assert "shares reports with CHN" in capsys.readouterr().out
    with hub.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SharingGrant)) == 1
    assert main(["hub", "revoke", *common]) == 0
    with hub.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SharingGrant)) == 0
    assert main(["hub", "revoke", *common]) == 2  # nothing left to revoke
    assert "no grant" in capsys.readouterr().err


def test_an_unreachable_hub_is_a_clear_error(tmp_path, capsys):
    report = tmp_path / "r.csv"
    report.write_text("date,indicator,item,value\n")
    url = f"http://127.0.0.1:{free_port()}"
    assert (
        main(["hub", "submit", str(report), "--member", "KOR", "--url", url, "--token", "ech_x"])
        == 2
    )
    err = capsys.readouterr().err
    assert "cannot reach the hub" in err and "Traceback" not in err
