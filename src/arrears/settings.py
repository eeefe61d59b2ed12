"""Configuration from `ARREARS_*` environment variables, each with a documented default.

| variable               | default                          | meaning                                   |
|------------------------|----------------------------------|-------------------------------------------|
| `ARREARS_HOME`         | `./arrears-workspace`            | the workspace folder (SQLite file, output) |
| `ARREARS_DATABASE_URL` | the URL `arrears init` recorded, else `sqlite:///$ARREARS_HOME/arrears.db` | SQLAlchemy URL; PostgreSQL in production, e.g. `postgresql+psycopg://user@host/arrears` |
"""

import json
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DATABASE_FILE = "arrears.db"
WORKSPACE_FILE = "workspace.json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARREARS_", extra="ignore")

    home: Path = Path("arrears-workspace")
    database_url: str | None = None

    def resolved_database_url(self) -> str:
        """The database URL in force: the explicit one (option or environment), else the one
        `arrears init --database-url` recorded in the workspace, else the workspace's SQLite file."""
        if self.database_url:
            return self.database_url
        recorded = self.recorded_database_url()
        if recorded:
            return recorded
        return f"sqlite:///{(self.home / DATABASE_FILE).resolve()}"

    def recorded_database_url(self) -> str | None:
        path = self.home / WORKSPACE_FILE
        if not path.is_file():
            return None
        value = json.loads(path.read_text(encoding="utf-8")).get("database_url")
        return str(value) if value else None

    def record_workspace(self) -> Path:
        """Write the workspace file so later commands find the same database."""
        self.home.mkdir(parents=True, exist_ok=True)
        path = self.home / WORKSPACE_FILE
        path.write_text(json.dumps({"database_url": self.database_url}, indent=2) + "\n", encoding="utf-8")
        return path

    def with_overrides(self, *, home: Path | None = None, database_url: str | None = None) -> "Settings":
        """These settings with command-line options taking precedence over the environment."""
        return self.model_copy(
            update={
                key: value
                for key, value in (("home", home), ("database_url", database_url))
                if value is not None
            }
        )
