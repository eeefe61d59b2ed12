"""The Arrears HTTP API: an app factory over an open store.

    app = create_app(open_store(settings), profile_folders=[settings.home / "profiles"])
    uvicorn.run(app, host="127.0.0.1", port=8000)   # what `arrears serve` does

Routes (all under `/v1`): `GET /v1/health`, and `POST /v1/ledger/uploads` where sync agents
send ledger files (`arrears.api.uploads`). The app speaks plain HTTP; in production it runs
behind HTTPS, either a reverse proxy that terminates TLS or uvicorn's own TLS
(`arrears serve --ssl-certfile --ssl-keyfile`), since bearer tokens and ledgers cross it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from arrears.api import uploads
from arrears.services.workspace import Store

DEFAULT_MAX_UPLOAD_BYTES = 256 * 1024 * 1024
"""Largest upload accepted: a million-row ledger export is about 100 MB."""


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """What the routes need besides the request: the store and the limits."""

    store: Store
    profile_folders: tuple[Path, ...] = ()
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    temp_dir: Path | None = None  # where uploads are written while they are imported [system temp]


def create_app(
    store: Store,
    *,
    profile_folders: Sequence[Path] = (),
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    temp_dir: Path | None = None,
) -> FastAPI:
    """The API over `store` (the caller opens and disposes of it)."""
    app = FastAPI(
        title="Arrears",
        summary="Credit control and debt collections: the API sync agents and integrations use.",
        version="1",
    )
    app.state.config = ApiConfig(store, tuple(profile_folders), max_upload_bytes, temp_dir)

    @app.get("/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        """For a load balancer or a monitor: the process is up."""
        return {"status": "ok"}

    app.include_router(uploads.router)
    return app
