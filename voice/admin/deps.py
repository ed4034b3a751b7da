"""Authentication and authorization as FastAPI dependencies.

``Authorization: Bearer <token>`` names a principal (401 without a valid token). A route scoped
to a workspace answers 404 for any workspace but the token's own (so a token cannot even probe
another tenant), then 403 when the role lacks the route's permission.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request

from voice.admin.roles import Permission, Principal
from voice.admin.service import AdminService
from voice.admin.tokens import match

WS_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
WorkspaceId = Annotated[str, Path(pattern=WS_PATTERN, description="workspace id")]

_UNAUTHORIZED = HTTPException(401, "a valid API token is required", headers={"WWW-Authenticate": "Bearer"})


def principal_dependency(service: AdminService) -> Callable[[Request], Awaitable[Principal]]:
    async def principal(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _UNAUTHORIZED
        rec = match(token.strip(), service.store.tokens())
        if rec is None:
            raise _UNAUTHORIZED
        return Principal(name=rec.name, role=rec.role, workspace_id=rec.workspace_id, token_id=rec.id)

    return principal


class Guards:
    """``guards.need(permission)``: the dependency a route declares."""

    def __init__(self, service: AdminService) -> None:
        self.principal = principal_dependency(service)

    def need(self, permission: Permission) -> Callable[..., Awaitable[Principal]]:
        principal_dep = self.principal

        async def scoped(ws: WorkspaceId, who: Annotated[Principal, Depends(principal_dep)]) -> Principal:
            if who.workspace_id != ws:
                raise HTTPException(404, "no such workspace")
            if not who.may(permission):
                raise HTTPException(403, f"role {who.role} may not use this endpoint")
            return who

        return scoped

    def any_role(self, permission: Permission) -> Callable[..., Awaitable[Principal]]:
        """For routes outside a workspace (model cards, whoami)."""
        principal_dep = self.principal

        async def unscoped(who: Annotated[Principal, Depends(principal_dep)]) -> Principal:
            if not who.may(permission):
                raise HTTPException(403, f"role {who.role} may not use this endpoint")
            return who

        return unscoped
