"""`arrears serve`: run the HTTP API (the upload endpoint sync agents send ledgers to)."""

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from arrears.cli.app import app, clear_errors, errors, state, store
from arrears.core.errors import ArrearsError

DEFAULT_MAX_UPLOAD_MB = (
    256  # as arrears.api.app.DEFAULT_MAX_UPLOAD_BYTES (not imported: FastAPI loads slowly)
)


@app.command("serve")
@clear_errors
def serve_command(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port.")] = 8000,
    ssl_certfile: Annotated[
        Path | None, typer.Option("--ssl-certfile", help="Serve HTTPS with this certificate (PEM).")
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option("--ssl-keyfile", help="The certificate's private key (PEM).")
    ] = None,
    max_upload_mb: Annotated[
        int,
        typer.Option(min=1, envvar="ARREARS_UPLOAD_MAX_MB", help="Largest ledger file accepted, in MiB."),
    ] = DEFAULT_MAX_UPLOAD_MB,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(help="Reverse proxies whose X-Forwarded-* headers are trusted [127.0.0.1]."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
) -> None:
    """Run the API with uvicorn. In production put it behind HTTPS: a reverse proxy that
    terminates TLS, or --ssl-certfile and --ssl-keyfile."""
    import uvicorn  # only the server needs it, and FastAPI

    from arrears.api.app import create_app

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise ArrearsError("give both --ssl-certfile and --ssl-keyfile, or neither")
    if ssl_certfile is None and not _loopback(host):
        errors.print(
            f"warning: serving plain HTTP on {host}: upload tokens and ledgers must reach it only through "
            "an HTTPS reverse proxy (or pass --ssl-certfile and --ssl-keyfile)",
            soft_wrap=True,
        )
    with store() as opened:
        application = create_app(
            opened,
            profile_folders=[state.settings.home / "profiles"],
            max_upload_bytes=max_upload_mb * 1024 * 1024,
        )
        uvicorn.run(
            application,
            host=host,
            port=port,
            ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
            ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
            log_level=log_level,
        )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
