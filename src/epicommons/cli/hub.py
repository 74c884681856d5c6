"""`epicommons hub ...` (administration) and `epicommons serve` (the member hub service)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from epicommons.errors import InputError
from epicommons.hub.settings import DB_ENV, HubSettings, default_db_url

from . import ensemble_options as opts

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


WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, max=256, help="run jobs on a local Dask cluster of this many workers"),
]
SchedulerOption = Annotated[
    str | None, typer.Option(help="run jobs on an existing Dask cluster: tcp://HOST:PORT")
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
    assess_every: Annotated[
        str | None,
        typer.Option(help="start an assessment of all members this often, e.g. 7d, 12h, 30m"),
    ] = None,
    assess_options: Annotated[
        Path | None,
        typer.Option(help="a TOML file whose \\[assessment] table sets scheduled assessments"),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Run the member hub HTTP service (OpenAPI document at /docs and /openapi.json).

    Assessments run as jobs in the server's worker thread, in its process by default.

    Example: epicommons serve --db sqlite:///hub.sqlite --port 8000 --assess-every 7d
    """
    from epicommons.hub.app import serve as run
    from epicommons.hub.jobs import parse_every

    opts.check(workers, scheduler)
    options = _options(assess_options) if assess_options is not None else {}
    settings = HubSettings(
        db_url=db or default_db_url(),
        max_body_bytes=max_body,
        max_rows=max_rows,
        rate_per_minute=rate_limit,
        daily_quota=daily_quota,
        assess_every=parse_every(assess_every) if assess_every is not None else None,
        assess_options=options,
        workers=workers,
        scheduler=scheduler,
    )
    run(settings, host, port)


def _options(path: Path | None) -> dict:
    """Assessment options from a TOML file's [assessment] table, checked (defaults if None)."""
    from epicommons.hub.assessments import options_from

    if path is None:
        return options_from({}).model_dump(mode="json")
    from epicommons._files import read_toml

    tables, _ = read_toml(path, "options file")
    params = tables.get("assessment", {})
    if not isinstance(params, dict):
        raise InputError("expected an [assessment] table", source=path, field="assessment")
    return options_from(params, source=str(path)).model_dump(mode="json")


@app.command("assess")
def assess(
    db: DbOption = None,
    as_of: Annotated[
        str | None, typer.Option(help="assess as known at the end of this date (default: today)")
    ] = None,
    options: Annotated[
        Path | None, typer.Option(help="a TOML file with an \\[assessment] table of options")
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress display")] = False,
) -> None:
    """Run one assessment of every member in this process, wait for it, print its id and a summary.

    Example: epicommons hub assess --db sqlite:///hub.sqlite --as-of 2026-11-30
    """
    from epicommons.hub import assessments, jobs
    from epicommons.hub.clock import utcnow

    from .progress import progress

    opts.check(workers, scheduler)
    day = _date(as_of, "--as-of") if as_of else utcnow().date()
    params = _options(options)
    database = _db(db)
    try:
        from epicommons.hub.db import require_current

        require_current(database)
        job = jobs.enqueue(
            database,
            kind=assessments.KIND,
            as_of=day,
            params=params,
            created_by="cli",
            running=True,
        )
        with progress(quiet) as bar:
            task = bar.add_task(f"assessment {job.id}", total=None)

            def show(step: str, done: int, total: int) -> None:
                bar.update(task, description=f"assessment {job.id}: {step} {done}/{total}")

            jobs.execute(
                database,
                job,
                assessments.run_job,
                jobs.BackendChoice(workers, scheduler),
                also=show,
            )
        with database.read() as session:
            finished = assessments.get_job(session, job.id)
            summary = assessments.summary_lines(session, finished)
    finally:
        database.dispose()
    typer.echo(f"assessment {job.id}: {finished.status}")
    for line in summary:
        typer.echo(f"  {line}")
    if finished.status != "done":
        raise InputError(finished.error or "the assessment failed", field="--as-of")


@app.command("assessments")
def assessments_list(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="show at most this many, newest first")] = 50,
) -> None:
    """List the hub's assessments with their status, as-of date and progress.

    Example: epicommons hub assessments --db sqlite:///hub.sqlite
    """
    from rich.console import Console

    from epicommons.hub import assessments
    from epicommons.hub.db import require_current
    from epicommons.report.tables import cells, rich_table

    database = _db(db)
    try:
        require_current(database)
        with database.read() as session:
            table = assessments.jobs_table(assessments.list_jobs(session, limit=limit, offset=0))
    finally:
        database.dispose()
    if table.empty:
        typer.echo("no assessments yet; start one with `epicommons hub assess`")
        return
    Console().print(rich_table(cells(table), title="Assessments"))


@app.command("export-assessment")
def export_assessment(
    job_id: Annotated[int, typer.Argument(help="the assessment's id (epicommons hub assessments)")],
    out: Annotated[
        Path, typer.Option(help="the folder to write (an earlier export there is replaced)")
    ],
    db: DbOption = None,
) -> None:
    """Write a finished assessment as the offline HTML report and CSV/Parquet tables.

    Example: epicommons hub export-assessment 3 --out assessment-3
    """
    from epicommons._files import check_output
    from epicommons.hub import assessments
    from epicommons.hub.db import require_current
    from epicommons.hub.refusals import NotFound

    check_output(out, "folder", marker="assessment.json")
    database = _db(db)
    try:
        require_current(database)
        with database.read() as session:
            try:
                job = assessments.get_job(session, job_id)
            except NotFound as exc:
                raise InputError(exc.detail, field="ID") from None
            if job.status != "done":
                raise InputError(f"assessment {job_id} is {job.status}, not done", field="ID")
        result = assessments.load(database, job_id)
    finally:
        database.dispose()
    result.write(out)
    typer.echo(f"assessment {job_id} written to {out}")


def _date(text: str, option: str):  # type: ignore[no-untyped-def]
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"expected a date YYYY-MM-DD, got {text!r}", field=option) from None


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


mapping_app = typer.Typer(
    help="The hub's DHIS2/FHIR mapping: data elements to indicators, org units to members.\n\n"
    "Example:  epicommons hub mapping import mapping.toml --db sqlite:///hub.sqlite",
    no_args_is_help=True,
)
app.add_typer(mapping_app, name="mapping")


@mapping_app.command("import")
def mapping_import(
    file: Annotated[Path, typer.Argument(help="a mapping TOML file (see docs/hub.md, DHIS2)")],
    db: DbOption = None,
) -> None:
    """Validate a mapping file and put it in force (each import is kept and audited).

    Example: epicommons hub mapping import mapping.toml --db sqlite:///hub.sqlite
    """
    from epicommons._files import read_text
    from epicommons.hub.mapping_store import import_mapping

    text = read_text(file, "mapping file")
    database = _db(db)
    try:
        row_id, mapping = import_mapping(database, text, str(file))
    finally:
        database.dispose()
    typer.echo(
        f"mapping {row_id} in force: data set {mapping.dhis2.data_set.code}, "
        f"{len(mapping.dhis2.elements)} data element(s), "
        f"{len(mapping.dhis2.org_units)} organisation unit(s), "
        f"{len(mapping.fhir.measures)} FHIR measure(s), "
        f"{len(mapping.fhir.subjects)} FHIR subject(s)"
    )


@mapping_app.command("default")
def mapping_default() -> None:
    """Print the built-in mapping (WHO COVID-19 aggregate package) to start a hub's own from.

    Example: epicommons hub mapping default > mapping.toml
    """
    from epicommons.hub.mapping import default_text

    typer.echo(default_text(), nl=False)
