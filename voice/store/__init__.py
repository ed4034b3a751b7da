"""The state that must survive a server process or be seen from another: workspace configuration
(versioned), API tokens, caller opt-outs and the approval queue.

One SQLAlchemy URL picks the backend: SQLite in the data folder (the embedded default) or
PostgreSQL (``DIALPHONE_DATABASE_URL=postgresql://...``) for several server processes. The schema
is migrated by Alembic at start-up (:mod:`voice.store.db`). The audit log has its own store
(:mod:`audit`), in the same database when it is PostgreSQL.

    state = open_state(settings.database_url_value())
    state.config.seed(workspace); await state.approvals.start()
"""

from __future__ import annotations

from dataclasses import dataclass

from voice.store.approvals import SqlApprovalQueue
from voice.store.config_store import SqlConfigStore
from voice.store.db import is_postgresql, open_engine
from voice.store.exceptions import StoreError, VersionConflict
from voice.store.records import OptOutEntry, TokenRecord


@dataclass
class State:
    url: str
    config: SqlConfigStore
    approvals: SqlApprovalQueue

    @property
    def postgresql(self) -> bool:
        return is_postgresql(self.url)

    async def close(self) -> None:
        await self.approvals.close()
        self.config.close()


def open_state(url: str, *, poll_s: float = 1.0) -> State:
    """Open (and migrate) the store at ``url``; blocking, call it off the event loop."""
    engine = open_engine(url)
    return State(url=url, config=SqlConfigStore(url, engine=engine), approvals=SqlApprovalQueue(engine, poll_s=poll_s))


__all__ = [
    "OptOutEntry",
    "SqlApprovalQueue",
    "SqlConfigStore",
    "State",
    "StoreError",
    "TokenRecord",
    "VersionConflict",
    "open_state",
]
