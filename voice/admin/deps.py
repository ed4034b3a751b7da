"""Authentication and authorization as FastAPI dependencies.

``Authorization: Bearer <token>`` names a principal (401 without a valid token). A route scoped
to a workspace answers 404 for any workspace but the token's own (so a token cannot even probe
another tenant), then 403 when the role lacks the route's permission.
"""

# No "from __future__ import annotations": FastAPI reads these dependency signatures at run time.

import asyncio
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Path, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from voice.admin.exceptions import ChangeRejected, StoreError, VersionConflict
from voice.admin.roles import Permission, Principal, Role
from voice.admin.service import AdminService, AuditUnavailable
from voice.admin.tokens import match

WS_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
WorkspaceId = Annotated[str, Path(pattern=WS_PATTERN, description="workspace id")]

_UNAUTHORIZED = HTTPException(401, "a valid API token is required", headers={"WWW-Authenticate": "Bearer"})


_BEARER = HTTPBearer(auto_error=False, description="an API token of the workspace (admin, supervisor or auditor)")


def principal_dependency(service: AdminService) -> Callable[..., Awaitable[Principal]]:
    async def principal(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> Principal:
        if credentials is None or not credentials.credentials.strip():
            raise _UNAUTHORIZED
        tokens = await asyncio.to_thread(service.store.tokens)
        rec = match(credentials.credentials.strip(), tokens)
        if rec is None:
            raise _UNAUTHORIZED
        return Principal(name=rec.name, role=Role(rec.role), workspace_id=rec.workspace_id, token_id=rec.id)

    return principal


_ETAG = re.compile(r'^(?:W/)?"?(\d{1,12})"?$')


async def if_match(
    if_match: Annotated[str | None, Header(description='the version a change is based on ("7"); stale: 409')] = None,
) -> int | None:
    """The workspace version named by ``If-Match`` (an ETag of a configuration response), or None."""
    if if_match is None or if_match.strip() == "*":
        return None
    m = _ETAG.match(if_match.strip())
    if m is None:
        raise HTTPException(400, 'If-Match must name a version, e.g. "7"')
    return int(m[1])


ExpectedVersion = Annotated[int | None, Depends(if_match)]


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


class AdminRoute(APIRoute):
    """Turns the admin layer's errors into HTTP answers (422 naming the field, 503)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except VersionConflict as exc:
                return JSONResponse(
                    {"detail": f"the workspace is at version {exc.current}; reload and apply the change again",
                     "version": exc.current},
                    409, headers={"ETag": f'"{exc.current}"'},
                )
            except ChangeRejected as exc:
                loc = ["body", *[str(p) for p in exc.loc]]
                return JSONResponse({"detail": [{"loc": loc, "msg": exc.msg, "type": "value_error"}]}, 422)
            except AuditUnavailable:
                return JSONResponse({"detail": "the audit log is not running; changes are refused"}, 503)
            except StoreError:
                return JSONResponse({"detail": "the configuration store is unavailable"}, 503)

        return run
