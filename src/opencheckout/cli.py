"""The ``opencheckout`` command line: serve, migrate, manage keys."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from opencheckout import preflight
from opencheckout.api import import_rules, telemetry
from opencheckout.config import Settings
from opencheckout.httpserver import GuardedHttpToolsProtocol
from opencheckout.observability import logs, metrics
from opencheckout.processors import build_processors
from opencheckout.service import auth, checkouts, dashboard_users, store_import, webhooks
from opencheckout.service.auth import Principal, Scope
from opencheckout.service.context import Context
from opencheckout.service.views import permalink
from opencheckout.service.worker import Worker
from opencheckout.store.db import Database
from opencheckout.store.migrate import head_revision, upgrade_to_head

app = typer.Typer(help="opencheckout: self-hostable checkout sessions.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
events_app = typer.Typer(help="Inspect and redeliver events.", no_args_is_help=True)
app.add_typer(events_app, name="events")
users_app = typer.Typer(help="Create, list and disable dashboard users.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date; print what was applied."""
    url = preflight.database_url()
    applied = preflight.run_checked(url, lambda: upgrade_to_head(url))
    if applied:
        typer.echo(f"applied {' '.join(applied)} (the schema is now at {applied[-1]})")
    else:
        typer.echo(f"already up to date (at {head_revision()})")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
) -> None:
    """Serve the API (and migrate first when the database is SQLite)."""
    url = preflight.database_url()
    settings = Settings.from_env()
    logs.configure(settings.log_format, settings.log_level)
    state = preflight.preflight(url, migrate_sqlite=True, require_ready=False)
    if not state.ready:
        # Serve anyway (an orchestrator may run the migration next); /readyz says 503.
        typer.echo(f"warning: {state.problem()}; /readyz answers 503 until then", err=True)
    logging.getLogger("opencheckout.serve").info(
        f"opencheckout listening on http://{host}:{port} (docs at /docs)",
        extra={"fields": {"host": host, "port": port, "workers": workers}},
    )
    if workers > 1:
        metrics.use_multiprocess_dir()
    uvicorn.run(
        "opencheckout.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        # Our JSON/console logs (configured in each process by app_from_env), and one
        # line per request from opencheckout.request instead of uvicorn's access log.
        log_config=None,
        access_log=False,
        # X-Forwarded-For is believed only from OPENCHECKOUT_TRUSTED_PROXIES (pages),
        # never rewritten into the peer address by uvicorn.
        proxy_headers=False,
        # Cut off slow or idle clients instead of holding sockets open.
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,
        # httptools plus a header-size cap (431) and head/body read deadlines (408).
        http=GuardedHttpToolsProtocol,
    )


@app.command()
def worker() -> None:
    """Deliver webhooks and abandon expired sessions until interrupted (SIGINT/SIGTERM)."""
    url = preflight.database_url()
    settings = Settings.from_env()
    logs.configure(settings.log_format, settings.log_level)
    state = preflight.preflight(url, migrate_sqlite=True, require_ready=False)
    if not state.ready:
        typer.echo(f"warning: {state.problem()}; the worker waits until then", err=True)

    async def main() -> None:
        db = Database(url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        ctx = Context(db=db, settings=settings, processors=build_processors(settings, db))
        metrics_server = await telemetry.start_metrics_port(ctx)
        try:
            await Worker(ctx).run(stop)
        finally:
            await telemetry.stop_metrics_port(metrics_server)
            await db.dispose()

    logging.getLogger("opencheckout.worker").info("opencheckout worker running")
    asyncio.run(main())


@events_app.command("redeliver")
def events_redeliver(
    event_id: Annotated[str, typer.Argument(help="The event id (evt_...).")],
    endpoint: Annotated[
        str | None, typer.Option(help="Only this webhook endpoint (we_...).")
    ] = None,
) -> None:
    """Queue an event again for its subscribed endpoints; the worker sends it."""
    settings = Settings.from_env()
    queued = preflight.run_use_case(
        lambda db: webhooks.redeliver(
            Context(db=db, settings=settings), None, event_id, endpoint_id=endpoint
        )
    )
    typer.echo(f"queued {queued} deliveries of {event_id}", err=True)


@keys_app.command("create")
def keys_create(
    account: Annotated[str, typer.Option(help="Account name; created if missing.")],
    mode: Annotated[str, typer.Option(help="test or live.")] = "test",
    scope: Annotated[str, typer.Option(help="write (sk_) or read (rk_).")] = "write",
) -> None:
    """Create a key and print only the secret on stdout."""
    if mode not in ("test", "live"):
        raise typer.BadParameter("mode must be test or live", param_hint="--mode")
    if scope not in ("write", "read"):
        raise typer.BadParameter("scope must be write or read", param_hint="--scope")
    created = preflight.run_use_case(
        lambda db: auth.create_key(db, account, livemode=mode == "live", scope=Scope(scope))
    )
    typer.echo(created.secret)


@keys_app.command("list")
def keys_list(account: Annotated[str, typer.Option(help="Account name.")]) -> None:
    """List an account's keys (prefixes only; secrets are never stored)."""
    keys = preflight.run_use_case(lambda db: auth.list_keys(db, account))
    for key in keys:
        state = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
        mode = "live" if key.livemode else "test"
        typer.echo(f"{key.prefix}\t{mode}\t{key.scope}\t{key.created_at.isoformat()}\t{state}")


@keys_app.command("revoke")
def keys_revoke(
    key_prefix: Annotated[str, typer.Argument(help="Prefix shown by keys list.")],
) -> None:
    """Revoke a key; requests with it get 401 from now on."""
    key = preflight.run_use_case(lambda db: auth.revoke_key(db, key_prefix))
    typer.echo(f"revoked {key.prefix}", err=True)


@users_app.command("create")
def users_create(
    account: Annotated[str, typer.Option(help="Account name; created if missing.")],
    email: Annotated[str, typer.Option(help="The user's email (their sign-in name).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a dashboard user; the password is prompted for (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = preflight.run_use_case(
        lambda db: dashboard_users.create_user(db, account, email, password)
    )
    typer.echo(f"created {user.email} ({user.id}) for account {account}", err=True)


@users_app.command("list")
def users_list(
    account: Annotated[str | None, typer.Option(help="Only this account's users.")] = None,
) -> None:
    """List dashboard users: email, account, created, state (never a password hash)."""
    users = preflight.run_use_case(lambda db: dashboard_users.list_users(db, account))
    for user, account_name in users:
        state = f"disabled {user.disabled_at.isoformat()}" if user.disabled_at else "active"
        typer.echo(f"{user.email}\t{account_name}\t{user.created_at.isoformat()}\t{state}")


@users_app.command("disable")
def users_disable(
    email: Annotated[str, typer.Argument(help="The user's email.")],
) -> None:
    """Disable a user and sign them out everywhere."""
    user = preflight.run_use_case(lambda db: dashboard_users.disable_user(db, email))
    typer.echo(f"disabled {user.email}", err=True)


#: Files with more rows than this get a progress bar even when stderr is not a terminal.
PROGRESS_ROWS = 1000


class _Bars(store_import.Progress):
    """A progress bar on stderr per large file (or every file on a terminal)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def start(self, name: str, rows: int) -> None:
        if rows > PROGRESS_ROWS or (sys.stderr.isatty() and rows > 0):
            self.bar = typer.progressbar(length=rows, label=name, file=sys.stderr)
            self.bar.__enter__()

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def finish(self, report: store_import.FileReport) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
        for error in report.errors:
            typer.echo(error, err=True)
        typer.echo(report.summary())


@app.command("import")
def import_store(
    directory: Annotated[
        Path, typer.Argument(help="Folder with the CSV files (flower-shop layout).")
    ],
    account: Annotated[str, typer.Option(help="Account name (must exist).")],
    mode: Annotated[str, typer.Option(help="test or live.")] = "test",
    currency: Annotated[
        str, typer.Option(help="Currency of the files' prices (minor units).")
    ] = "usd",
) -> None:
    """Import products, stock, coupons, shipping rates and promotions, customers and their
    addresses from CSV; safe to run again (rows are matched by their natural keys)."""
    if mode not in ("test", "live"):
        raise typer.BadParameter("mode must be test or live", param_hint="--mode")
    if not directory.is_dir():
        raise typer.BadParameter(f"{directory} is not a directory", param_hint="DIR")
    paths = store_import.present_files(directory)
    if not paths:
        preflight.fail(f"{directory} has none of {', '.join(store_import.FILES)}")
    settings = Settings.from_env()

    async def run(db: Database) -> list[store_import.FileReport]:
        ctx = Context(db=db, settings=settings)
        principal = await store_import.principal_for(ctx, account, livemode=mode == "live")
        importer = store_import.Importer(
            ctx, principal, currency=currency.lower(), validate=import_rules.validate
        )
        return await importer.run(paths, _Bars())

    reports = preflight.run_use_case(run)
    bad = sum(len(report.errors) for report in reports)
    if bad:
        typer.echo(f"{bad} bad row(s) were not imported", err=True)
        raise typer.Exit(1)


SAMPLE_SESSION: dict[str, Any] = {
    "currency": "eur",
    "line_items": [
        {
            "product": "tshirt-blue-m",
            "name": "Blue T-shirt (M)",
            "unit_amount": 2500,
            "quantity": 2,
        },
        {"product": "sticker-pack", "name": "Sticker pack", "unit_amount": 499, "quantity": 1},
    ],
    "customer": {"email": "buyer@example.com", "first_name": "Ada"},
    "billing_details_collection": "auto",
    "success_url": "https://example.com/thanks?session={CHECKOUT_ID}",
    "cancel_url": "https://example.com/cart",
}


@app.command()
def demo(account: Annotated[str, typer.Option(help="Demo account name.")] = "demo") -> None:
    """Ensure a demo account; print a new test secret key and a sample session's permalink."""
    settings = Settings.from_env()

    url = preflight.database_url()
    if preflight.is_sqlite(url):
        preflight.preflight(url, migrate_sqlite=True)  # the local default needs no extra step

    async def make(db: Database) -> tuple[str, str]:
        created = await auth.create_key(db, account, livemode=False, scope=Scope.WRITE)
        key = created.key
        principal = Principal(key.account_id, key.livemode, Scope.WRITE, key.id)
        row = await checkouts.create(Context(db=db, settings=settings), principal, SAMPLE_SESSION)
        return created.secret, permalink(settings.public_url, row.token)

    secret, link = preflight.run_use_case(make)
    typer.echo(f"Test secret key:  {secret}")
    typer.echo(f"Sample checkout:  {link}")
