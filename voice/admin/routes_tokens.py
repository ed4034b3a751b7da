"""Admin API: the workspace's API tokens. Created with an expiry (the secret is in the answer once,
stored only as a digest), listed without secrets or digests, revoked (kept, with who and when).
Each creation and revocation is a ``config.changed`` audit event naming the token id, never its value."""

# No "from __future__ import annotations" here: FastAPI resolves the route signatures at run time.

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path

from voice.admin.deps import AdminRoute, Guards, WorkspaceId
from voice.admin.roles import Permission, Principal
from voice.admin.schemas import TokenCreate, TokenCreated, TokenInfo
from voice.admin.service import AdminService
from voice.store.tokens import digest, expiry, new_token

TokenId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")]


def tokens_router(service: AdminService, guards: Guards) -> APIRouter:
    r = APIRouter(tags=["tokens"], route_class=AdminRoute)
    Admin = Annotated[Principal, Depends(guards.need(Permission.TOKENS))]

    @r.get("/workspaces/{ws}/tokens", response_model=list[TokenInfo], summary="Tokens of the workspace")
    async def list_tokens(ws: WorkspaceId, who: Admin) -> Any:
        return [t.as_dict() for t in await asyncio.to_thread(service.store.all_tokens, ws)]

    @r.post("/workspaces/{ws}/tokens", response_model=TokenCreated, status_code=201)
    async def create_token(ws: WorkspaceId, body: TokenCreate, who: Admin) -> Any:
        secret = new_token()
        expires = expiry(body.expires_in)
        await service.record(who, ws, "tokens", None, {"name": body.name, "role": body.role,
                                                        "expires_at": expires or "never"})
        rec = await asyncio.to_thread(
            lambda: service.store.add_token(workspace_id=ws, name=body.name, role=body.role, digest=digest(secret),
                                            expires_at=expires, actor=who.identity)
        )
        return {**rec.as_dict(), "token": secret}

    @r.delete("/workspaces/{ws}/tokens/{token_id}", status_code=204, summary="Revoke a token")
    async def revoke_token(ws: WorkspaceId, token_id: TokenId, who: Admin) -> None:
        found = next((t for t in await asyncio.to_thread(service.store.all_tokens, ws) if t.id == token_id), None)
        if found is None:
            raise HTTPException(404, "no such token")
        if found.revoked_at is not None:
            return
        await service.record(who, ws, "tokens", {"id": found.id, "name": found.name, "role": found.role},
                             {"id": found.id, "revoked": "yes"})
        await asyncio.to_thread(service.store.revoke_token, ws, token_id, actor=who.identity)

    return r
