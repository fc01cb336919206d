"""The ``opencheckout`` command line: serve, migrate, manage keys."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Annotated, Any

import typer
import uvicorn

from opencheckout import preflight
from opencheckout.api import telemetry
from opencheckout.config import Settings
from opencheckout.httpserver import GuardedHttpToolsProtocol
from opencheckout.observability import logs, metrics
from opencheckout.processors import build_processors
from opencheckout.service import auth, checkouts, dashboard_users, webhooks
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
