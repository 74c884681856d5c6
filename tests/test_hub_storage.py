"""Storage and administration: migrations match the models, members, tokens, CLI."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text

from epicommons.cli import main
from epicommons.errors import InputError
from epicommons.hub import admin
from epicommons.hub.db import current_revision, head_revision, open_database
from epicommons.hub.models import AuditEntry, Base, Token
from epicommons.hub.settings import default_db_url
from epicommons.hub.tokens import token_hash
from test_hub_support import Server, backend_params, fresh_database


@pytest.fixture(params=backend_params())
def database(request, tmp_path):
    fresh = fresh_database(request.param, tmp_path)
    db = open_database(fresh.url)
    yield db
    db.dispose()
    fresh.close()


def test_migrations_create_exactly_the_models(database):
    assert current_revision(database) is None
    admin.init(database)
    assert current_revision(database) == head_revision()
    admin.init(database)  # idempotent
    with database.reader.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sqlite_uses_wal(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'h.sqlite'}")
    admin.init(db)
    with db.reader.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose()


def test_commands_refuse_an_uninitialised_database(database):
    with pytest.raises(InputError, match="hub init"):
        admin.add_member(database, "KOR")


def test_members_countries_and_organisations(database):
    admin.init(database)
    assert admin.add_member(database, "kor").code == "KOR"
    assert admin.add_member(database, "WHO", organisation=True).kind == "organisation"
    with pytest.raises(InputError, match="already exists"):
        admin.add_member(database, "KOR")
    with pytest.raises(InputError, match="unknown country"):
        admin.add_member(database, "XYZ")
    with pytest.raises(InputError, match="alpha-3"):
        admin.add_member(database, "Korea")
    with pytest.raises(InputError, match="country's ISO3"):
        admin.add_member(database, "FRA", organisation=True)
    with pytest.raises(InputError, match="organisation code"):
        admin.add_member(database, "=cmd|x", organisation=True)


def test_tokens_are_stored_as_hashes_and_audited(database):
    admin.init(database)
    admin.add_member(database, "KOR")
    issued = admin.issue_token(database, "KOR", "reporter", expires_days=30)
    assert issued.token.startswith("ech_") and len(issued.token) > 40
    with database.read() as s:
        row = s.get(Token, issued.id)
        raw = s.execute(text("SELECT * FROM tokens")).all()
        audits = s.scalars(select(AuditEntry.entity)).all()
    assert row.token_hash == token_hash(issued.token)
    assert all(issued.token not in str(r) for r in raw)
    expected_expiry = row.created_at + dt.timedelta(days=30)
    assert row.expires_at == expected_expiry
    assert audits == ["member", "token"]
    with pytest.raises(InputError, match="role"):
        admin.issue_token(database, "KOR", "admin")
    with pytest.raises(InputError, match="no member"):
        admin.issue_token(database, "JPN", "reporter")
    assert admin.revoke_token(database, issued.token) == issued.id
    with database.read() as s:
        assert s.get(Token, issued.id).revoked_at is not None


def test_cli_end_to_end_with_expiry_and_revocation(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert main(["hub", "init", "--db", url]) == 0
    assert main(["hub", "add-member", "NZL", "--db", url]) == 0
    assert main(["hub", "add-member", "NOPE", "--db", url]) == 2
    assert "error:" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["hub", "issue-token", "--member", "NZL", "--role", "analyst", "--db", url]) == 0
    token = capsys.readouterr().out.strip()
    assert (
        main(
            [
                "hub",
                "issue-token",
                "--member",
                "NZL",
                "--role",
                "reporter",
                "--expires",
                "1",
                "--db",
                url,
            ]
        )
        == 0
    )
    short = capsys.readouterr().out.strip()
    db = open_database(url)
    with db.transaction() as s:  # move the expiry into the past rather than wait for it
        s.execute(text("UPDATE tokens SET expires_at = created_at WHERE role = 'reporter'"))
    db.dispose()
    server = Server(url).start()
    try:
        me = httpx.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["member"] == "NZL"
        expired = httpx.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {short}"})
        assert expired.status_code == 401
        assert expired.headers["content-type"] == "application/problem+json"
        assert main(["hub", "revoke-token", token, "--db", url]) == 0
        gone = httpx.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401 and "revoked" in gone.json()["detail"]
    finally:
        server.stop()


def test_default_database_comes_from_the_environment_or_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("EPICOMMONS_DB", "postgresql+psycopg://u:p@127.0.0.1:1/x")
    assert default_db_url() == "postgresql+psycopg://u:p@127.0.0.1:1/x"
    monkeypatch.delenv("EPICOMMONS_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_url() == f"sqlite:///{tmp_path / 'data' / 'epicommons' / 'hub.sqlite'}"
    assert (tmp_path / "data" / "epicommons").is_dir()


@pytest.mark.parametrize(
    "url",
    ["nonsense", "sqlite://", "sqlite:///:memory:", "mysql://x/y", "postgresql+asyncpg://x/y"],
)
def test_unusable_database_urls_are_input_errors(url):
    with pytest.raises(InputError):
        open_database(url)
