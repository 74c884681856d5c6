"""`epicommons hub ...` (administration) and `epicommons serve` (the member hub service)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from epicommons.hub.settings import DB_ENV, HubSettings, default_db_url

if TYPE_CHECKING:
    from epicommons.hub.db import Database

app = typer.Typer(
    help="Administer the member hub: database, members and tokens.\n\n"
    "Example:  epicommons hub init --db sqlite:///hub.sqlite",
    no_args_is_help=True,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help=f"database URL (sqlite:///file or postgresql+psycopg://...); default ${DB_ENV} "
        "or a file in the user data directory",
    ),
]


def _db(url: str | None) -> Database:
    """Open the hub database (SQLAlchemy and Alembic load only when a hub command runs)."""
    from epicommons.hub.db import open_database

    return open_database(url or default_db_url())


@app.command("init")
def init(db: DbOption = None) -> None:
    """Create the hub database, or upgrade it to the newest schema.

    Example: epicommons hub init --db sqlite:///hub.sqlite
    """
    from epicommons.hub import admin

    database = _db(db)
    try:
        revision = admin.init(database)
    finally:
        database.dispose()
    typer.echo(f"hub database at revision {revision}: {database.url}")


@app.command("add-member")
def add_member(
    code: Annotated[str, typer.Argument(help="ISO3 code of a country, or an organisation's code")],
    organisation: Annotated[
        bool, typer.Option("--organisation", help="an international organisation, e.g. WHO")
    ] = False,
    name: Annotated[str, typer.Option(help="display name (default: the country's name)")] = "",
    db: DbOption = None,
) -> None:
    """Register a member: a country by ISO3 code, or an organisation with --organisation.

    Example: epicommons hub add-member KOR
    """
    from epicommons.hub import admin

    database = _db(db)
    try:
        member = admin.add_member(database, code, organisation=organisation, name=name)
    finally:
        database.dispose()
    typer.echo(f"added {member.kind} {member.code} ({member.name})")


@app.command("issue-token")
def issue_token(
    member: Annotated[str, typer.Option(help="member code")],
    role: Annotated[str, typer.Option(help="reporter | analyst | coordinator")],
    expires: Annotated[
        float, typer.Option(help="days until the token expires (default 90)")
    ] = 90.0,
    never_expires: Annotated[
        bool, typer.Option("--never-expires", help="a token without expiry (not recommended)")
    ] = False,
    label: Annotated[str, typer.Option(help="a note to recognise the token")] = "",
    db: DbOption = None,
) -> None:
    """Create an API token and print it once; only its hash is stored.

    Example: epicommons hub issue-token --member KOR --role reporter --expires 90
    """
    from epicommons.hub import admin

    database = _db(db)
    try:
        issued = admin.issue_token(
            database, member, role, expires_days=None if never_expires else expires, label=label
        )
    finally:
        database.dispose()
    until = issued.expires_at.isoformat(timespec="seconds") + "Z" if issued.expires_at else "never"
    typer.echo(
        f"token id {issued.id} for {issued.member} as {issued.role}, expires {until}", err=True
    )
    typer.echo("store it now; it cannot be shown again:", err=True)
    typer.echo(issued.token)


@app.command("revoke-token")
def revoke_token(
    token: Annotated[str, typer.Argument(help="the token's id or the token itself")],
    db: DbOption = None,
) -> None:
    """Revoke a token at once; requests with it are refused from then on.

    Example: epicommons hub revoke-token 3
    """
    from epicommons.hub import admin

    database = _db(db)
    try:
        token_id = admin.revoke_token(database, token)
    finally:
        database.dispose()
    typer.echo(f"revoked token {token_id}")


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    rate_limit: Annotated[int, typer.Option(help="requests per minute per token")] = 600,
    max_rows: Annotated[int, typer.Option(help="rows per import")] = 10_000,
    max_body: Annotated[int, typer.Option(help="largest request body in bytes")] = 2 * 1024 * 1024,
    daily_quota: Annotated[
        int, typer.Option(help="pledges to members and shared events per member per 24 hours")
    ] = 200,
) -> None:
    """Run the member hub HTTP service (OpenAPI document at /docs and /openapi.json).

    Example: epicommons serve --db sqlite:///hub.sqlite --port 8000
    """
    from epicommons.hub.app import serve as run

    settings = HubSettings(
        db_url=db or default_db_url(),
        max_body_bytes=max_body,
        max_rows=max_rows,
        rate_per_minute=rate_limit,
        daily_quota=daily_quota,
    )
    run(settings, host, port)
