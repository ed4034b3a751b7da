"""Admin API: caller opt-out list, approval queue, live calls, audit export, model cards, whoami."""

# No "from __future__ import annotations" here: FastAPI resolves the route signatures at run time,
# and they name dependencies built in the enclosing function (per service and guards).

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from audit.canonical import canonical_text
from audit.events import ROW_FIELDS
from audit.export import ExportRecord, ExportSummary, iter_jsonl
from audit.store import RowQuery
from concierge.exceptions import ApprovalError
from voice.admin.deps import AdminRoute, Guards, WorkspaceId
from voice.admin.roles import Permission, Principal
from voice.admin.schemas import Approval, DecisionBody, LiveCall, OptOut, OptOutCreate, WhoAmI
from voice.admin.service import AdminService
from voice.pipeline.calls import live_calls

ApprovalId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
EntryId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


def ops_router(service: AdminService, guards: Guards) -> APIRouter:
    r = APIRouter(route_class=AdminRoute)

    # -- opt-outs ---------------------------------------------------------------
    @r.get("/workspaces/{ws}/optouts", response_model=list[OptOut], tags=["opt-out"])
    async def list_optouts(ws: WorkspaceId, who: Annotated[Principal, Depends(guards.need(Permission.OPTOUT_READ))]) -> Any:
        return [e.as_dict() for e in await asyncio.to_thread(service.store.optouts, ws)]

    @r.post("/workspaces/{ws}/optouts", response_model=OptOut, status_code=201, tags=["opt-out"])
    async def add_optout(
        ws: WorkspaceId, body: OptOutCreate, who: Annotated[Principal, Depends(guards.need(Permission.OPTOUT_WRITE))]
    ) -> Any:
        entry = await asyncio.to_thread(service.store.add_optout, ws, body.number, source="admin", actor=who.identity)
        await service.record(who, ws, "optouts", None, {"id": entry.id, "masked": entry.masked})
        return entry.as_dict()

    @r.delete("/workspaces/{ws}/optouts/{entry_id}", status_code=204, tags=["opt-out"])
    async def remove_optout(
        ws: WorkspaceId, entry_id: EntryId, who: Annotated[Principal, Depends(guards.need(Permission.OPTOUT_WRITE))]
    ) -> None:
        removed = await asyncio.to_thread(service.store.remove_optout, ws, entry_id)
        if removed is None:
            raise HTTPException(404, "no such opt-out entry")
        await service.record(who, ws, "optouts", {"id": removed.id, "masked": removed.masked}, None)

    # -- approvals ----------------------------------------------------------------
    def queue() -> Any:
        engines = service.state.engines
        if engines is None:
            raise HTTPException(503, "the server is starting")
        return engines.approvals

    @r.get("/workspaces/{ws}/approvals", response_model=list[Approval], tags=["approvals"])
    async def pending(ws: WorkspaceId, who: Annotated[Principal, Depends(guards.need(Permission.APPROVALS))]) -> Any:
        return [a.as_dict() for a in await queue().pending(ws)]

    async def decide(ws: str, approval_id: str, who: Principal, body: DecisionBody | None, approve: bool) -> Any:
        q = queue()
        req = await q.get(approval_id)
        if req is None or req.workspace_id != ws:
            raise HTTPException(404, "no such approval request")
        note = body.note if body is not None else None
        try:
            if approve:
                done = await q.approve(approval_id, supervisor=who.identity, note=note)
            else:
                done = await q.reject(approval_id, supervisor=who.identity, note=note)
        except ApprovalError:
            raise HTTPException(409, "the request is no longer pending") from None
        return done.as_dict()

    @r.post("/workspaces/{ws}/approvals/{approval_id}/approve", response_model=Approval, tags=["approvals"])
    async def approve(
        ws: WorkspaceId, approval_id: ApprovalId,
        who: Annotated[Principal, Depends(guards.need(Permission.APPROVALS))], body: DecisionBody | None = None,
    ) -> Any:
        return await decide(ws, approval_id, who, body, True)

    @r.post("/workspaces/{ws}/approvals/{approval_id}/reject", response_model=Approval, tags=["approvals"])
    async def reject(
        ws: WorkspaceId, approval_id: ApprovalId,
        who: Annotated[Principal, Depends(guards.need(Permission.APPROVALS))], body: DecisionBody | None = None,
    ) -> Any:
        return await decide(ws, approval_id, who, body, False)

    # -- live calls -----------------------------------------------------------------
    @r.get("/workspaces/{ws}/calls", response_model=list[LiveCall], tags=["calls"])
    async def calls(ws: WorkspaceId, who: Annotated[Principal, Depends(guards.need(Permission.CALLS_READ))]) -> Any:
        engines = service.state.engines
        active = service.state.workspace
        if engines is None or active is None or active.id != ws:
            return []
        now = time.monotonic()
        out = []
        running = {**{k: v for k, v in service.state.calls.items() if hasattr(v, "log")}, **live_calls(engines)}
        for cid, s in list(running.items()):
            optout = getattr(s, "optout", None)
            switch = getattr(s, "ivr", None)
            out.append(LiveCall(
                call_id=cid, transport=str(s.kind), mode=switch.mode.value if switch is not None else "ai",
                optout_scope=str(optout.scope) if optout is not None and optout.scope is not None else None,
                seconds=round(now - s.started_at, 1), turns=len(s.log.turns), transfers=len(s.log.transfers),
            ))
        return out

    # -- audit export ------------------------------------------------------------------
    @r.get("/workspaces/{ws}/audit/export", tags=["audit"], response_class=StreamingResponse,
           responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}})
    async def export(
        ws: WorkspaceId,
        who: Annotated[Principal, Depends(guards.need(Permission.AUDIT_EXPORT))],
        format: ExportFormat = ExportFormat.JSONL,
        since: Annotated[datetime | None, Query(description="inclusive, ISO 8601 with zone")] = None,
        until: Annotated[datetime | None, Query(description="exclusive, ISO 8601 with zone")] = None,
        call_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")] = None,
    ) -> StreamingResponse:
        try:
            log = service.audit_log()
        except Exception:
            raise HTTPException(503, "the audit log is not running") from None
        store = service.audit_store()
        query = RowQuery(since=_utc(since), until=_utc(until), call_id=call_id)
        summary = ExportSummary(workspace_id=ws)
        if format is ExportFormat.JSONL:
            lines = iter_jsonl(store, workspace_id=ws, query=query, summary=summary)
        else:
            lines = _csv(store, ws, query, summary)

        # On the record when it starts, and again when it completes or breaks off (audit.export.ExportRecord).
        record = ExportRecord(workspace_id=ws, requester=who.identity, format=format.value, query=query)
        await log.append(record.started(), durable=True)

        async def body() -> AsyncIterator[str]:
            completed = False
            try:
                while True:
                    chunk = await asyncio.to_thread(_take, lines, 500)
                    if not chunk:
                        break
                    yield chunk
                completed = True
            finally:  # a client that went away cancels the stream: that end is recorded too
                await asyncio.shield(log.append(record.ended(summary, completed=completed), durable=True))

        media = "application/x-ndjson" if format is ExportFormat.JSONL else "text/csv"
        name = f"audit-{ws}.{format.value}"
        return StreamingResponse(body(), media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    # -- model cards and identity ----------------------------------------------------------
    @r.get("/model-cards", response_model=list[str], tags=["model cards"])
    async def model_cards(who: Annotated[Principal, Depends(guards.any_role(Permission.MODEL_CARDS))]) -> Any:
        return service.model_cards()

    @r.get("/model-cards/{name}", response_class=PlainTextResponse, tags=["model cards"])
    async def model_card(
        name: Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")],
        who: Annotated[Principal, Depends(guards.any_role(Permission.MODEL_CARDS))],
    ) -> PlainTextResponse:
        text = service.model_card(name)
        if text is None:
            raise HTTPException(404, "no such model card")
        return PlainTextResponse(text, media_type="text/markdown")

    @r.get("/whoami", response_model=WhoAmI, tags=["identity"])
    async def whoami(who: Annotated[Principal, Depends(guards.principal)]) -> Any:
        return WhoAmI(name=who.name, role=str(who.role), workspace_id=who.workspace_id)

    return r


def _utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise HTTPException(422, [{"loc": ["query"], "msg": "times need a zone (Z or +hh:mm)", "type": "value_error"}])
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _csv(store: Any, ws: str, query: RowQuery, summary: ExportSummary) -> Iterator[str]:
    """CSV like ``dialphone audit export --format csv``: one row per event, payload as canonical JSON."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ROW_FIELDS)
    yield buf.getvalue()
    for row in store.rows(ws, query):
        buf.seek(0)
        buf.truncate()
        d = row.to_dict()
        d["payload"] = canonical_text(row.payload)
        writer.writerow(["" if d[f] is None else d[f] for f in ROW_FIELDS])
        summary.rows += 1
        summary.first_seq = row.seq if summary.first_seq is None else summary.first_seq
        summary.last_seq = row.seq
        yield buf.getvalue()


def _take(it: Iterator[str], n: int) -> str:
    parts: list[str] = []
    for line in it:
        parts.append(line)
        if len(parts) >= n:
            break
    return "".join(parts)
