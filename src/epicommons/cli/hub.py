"""`epicommons hub ...` (administration) and `epicommons serve` (the member hub service)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from epicommons.errors import InputError
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


UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", help="the hub's address; default $EPICOMMONS_HUB_URL or http://127.0.0.1:8000"
    ),
]
TokenOption = Annotated[
    str | None, typer.Option("--token", help="a reporter token; default $EPICOMMONS_HUB_TOKEN")
]


@app.command("submit")
def submit(
    file: Annotated[
        Path, typer.Argument(help="a report as CSV (date,indicator,item,value) or JSON")
    ],
    member: Annotated[str, typer.Option(help="the member the report is for (your token's)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check only; store nothing")] = False,
    key: Annotated[
        str | None, typer.Option(help="an Idempotency-Key: resending changes nothing")
    ] = None,
    triangle: Annotated[
        bool,
        typer.Option(
            "--triangle",
            help="FILE is a daily reporting triangle (wide or long CSV) seeding a count's history",
        ),
    ] = False,
    indicator: Annotated[
        str, typer.Option(help="with --triangle: the count it holds")
    ] = "new_cases",
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Send a report (or, with --triangle, a reporting triangle) to a running hub through its
    API and print the import summary.

    Example: epicommons hub submit cases.csv --member KOR --token $EPICOMMONS_HUB_TOKEN

    Example: epicommons hub submit --triangle cases_triangle.csv --member KOR
    """
    from urllib.parse import urlencode

    from epicommons.hub.client import HubClient

    client = HubClient.from_options(url, token)
    if not file.is_file():
        raise InputError(f"no such file: {file}", field="FILE")
    kind = "text/csv" if file.suffix.lower() == ".csv" else "application/json"
    if file.suffix.lower() not in ((".csv",) if triangle else (".csv", ".json")):
        raise InputError(
            "expected a .csv file" if triangle else "expected a .csv or .json file", source=file
        )
    params = {"dryRun": "true"} if dry_run else {}
    path = f"/members/{member.upper()}/reports"
    if triangle:
        path, params = f"{path}/triangle", {**params, "indicator": indicator}
    answer = client.call(
        "POST",
        f"{path}?{urlencode(params)}" if params else path,
        file.read_bytes(),
        kind,
        {"Idempotency-Key": key} if key else None,
    )
    summary = (
        answer.body.get("importSummary", answer.body) if isinstance(answer.body, dict) else None
    )
    if not isinstance(summary, dict) or "importCount" not in summary:
        client.require(answer)
        raise InputError("the hub's answer holds no import summary", field="--url")
    _print_summary(summary)
    if answer.status >= 400:
        raise InputError(f"nothing was stored: {answer.body.get('detail')}", source=file)


def _print_summary(summary: dict) -> None:
    counts = summary["importCount"]
    mode = " (dry run: nothing stored)" if summary["dryRun"] else ""
    again = " (replayed: this key was used before; nothing changed)" if summary["replayed"] else ""
    typer.echo(
        f"{summary['status']}{mode}{again}: {counts['imported']:,} imported, "
        f"{counts['updated']:,} updated, {counts['ignored']:,} ignored"
    )
    for c in summary["conflicts"]:
        typer.echo(f"  row {c['row']}, field {c['field']}: {c['reason']}")


@app.command("share")
def share(
    member: Annotated[str, typer.Option(help="your member (the grantor)")],
    with_: Annotated[
        str, typer.Option("--with", help="the member, or partner group, to share with")
    ],
    scope: Annotated[str, typer.Option(help="reports | events | ledger | all")],
    group: Annotated[bool, typer.Option("--group", help="--with names a partner group")] = False,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Let another member (or a partner group) read one scope of your member's data.

    Example: epicommons hub share --member KOR --with FRA --scope reports
    """
    import json

    from epicommons.hub.client import HubClient

    client = HubClient.from_options(url, token)
    target = "grantee_group" if group else "grantee_member"
    body = json.dumps({target: with_.upper(), "scope": scope}).encode()
    out = client.require(client.call("POST", f"/members/{member.upper()}/grants", body))
    typer.echo(f"grant {out['id']}: {out['grantor']} shares {out['scope']} with {with_.upper()}")


@app.command("revoke")
def revoke(
    member: Annotated[str, typer.Option(help="your member (the grantor)")],
    with_: Annotated[str, typer.Option("--with", help="the member, or partner group, shared with")],
    scope: Annotated[str, typer.Option(help="reports | events | ledger | all")],
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Withdraw the grant that shares one scope of your member's data with a member or group.

    Example: epicommons hub revoke --member KOR --with FRA --scope reports
    """
    from epicommons.hub.client import HubClient

    client = HubClient.from_options(url, token)
    code, who = member.upper(), with_.upper()
    grants = client.require(client.call("GET", f"/members/{code}/grants?limit=10000"))
    found = [
        g
        for g in grants
        if g["scope"] == scope and who in (g["grantee_member"], g["grantee_group"])
    ]
    if not found:
        raise InputError(f"{code} has no grant of {scope!r} to {who}", field="--with")
    client.require(client.call("DELETE", f"/members/{code}/grants/{found[0]['id']}"))
    typer.echo(f"revoked grant {found[0]['id']}: {code} no longer shares {scope} with {who}")
