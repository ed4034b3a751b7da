"""The configuration store in one SQLite file (the embedded default): :class:`SqlConfigStore` on
``sqlite:///PATH``. ``SqliteConfigStore(data_dir / "state.db")``."""

from __future__ import annotations

from pathlib import Path

from voice.store.config_store import SqlConfigStore


class SqliteConfigStore(SqlConfigStore):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        super().__init__(f"sqlite:///{self.path.resolve()}")
