"""Admin API: workspaces, departments and routing, business hours, the IVR menu, feature switches."""

# No "from __future__ import annotations" here: FastAPI resolves the route signatures at run time,
# and they name dependencies built in the enclosing function (per service and guards).

from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, HTTPException, Path, Response

from concierge.config import BusinessHours, Department, Features, IvrMenu, Workspace
from voice.admin.deps import AdminRoute, ExpectedVersion, Guards, WorkspaceId
from voice.admin.roles import Permission, Principal
from voice.admin.schemas import DepartmentEdit, Routing, RoutingUpdate, WorkspacePatch, WorkspaceSummary
from voice.admin.service import AdminService

MAX_PROMPT_CHARS = 500  # a prompt is spoken; longer text is a mistake (and minutes of synthesis)
DeptName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="department name")]


_TIMEZONES = sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def _dept_index(data: dict[str, Any], name: str) -> int:
    for i, d in enumerate(data["departments"]):
        if d["name"] == name:
            return i
    raise HTTPException(404, "no such department")


def config_router(service: AdminService, guards: Guards) -> APIRouter:
    r = APIRouter(tags=["configuration"], route_class=AdminRoute)
    Reader = Annotated[Principal, Depends(guards.need(Permission.CONFIG_READ))]
    Writer = Annotated[Principal, Depends(guards.need(Permission.CONFIG_WRITE))]

    def ws_or_404(ws: str) -> Workspace:
        found = service.workspace(ws)
        if found is None:
            raise HTTPException(404, "no such workspace")
        return found

    def summary(w: Workspace) -> WorkspaceSummary:
        active = service.state.workspace is not None and service.state.workspace.id == w.id
        return WorkspaceSummary(
            id=w.id, name=w.name, timezone=w.timezone, greeting=w.greeting,
            departments=len(w.departments), version=service.store.version(w.id), active=active,
        )

    @r.get("/timezones", response_model=list[str], summary="Time zone names business hours accept")
    async def list_timezones(who: Annotated[Principal, Depends(guards.any_role(Permission.CONFIG_READ))]) -> Any:
        return _TIMEZONES

    @r.get("/workspaces", response_model=list[WorkspaceSummary], summary="Workspaces this token may see")
    async def list_workspaces(who: Annotated[Principal, Depends(guards.any_role(Permission.WORKSPACE_READ))]) -> Any:
        found = service.workspace(who.workspace_id)
        return [summary(found)] if found is not None else []

    @r.get("/workspaces/{ws}", response_model=WorkspaceSummary)
    async def get_workspace(
        ws: WorkspaceId, who: Annotated[Principal, Depends(guards.need(Permission.WORKSPACE_READ))], response: Response
    ) -> Any:
        found = summary(ws_or_404(ws))
        response.headers["ETag"] = f'"{found.version}"'  # send it back as If-Match with a change
        return found

    @r.patch("/workspaces/{ws}", response_model=WorkspaceSummary)
    async def patch_workspace(ws: WorkspaceId, body: WorkspacePatch, who: Writer, expected: ExpectedVersion) -> Any:
        changes = body.model_dump(exclude_none=True)
        if not changes:
            return summary(ws_or_404(ws))
        new = await service.change(who, ws, (), lambda d: d.update(changes), fields=tuple(sorted(changes)),
                                   expected_version=expected)
        return summary(new)

    @r.get("/workspaces/{ws}/departments", response_model=list[Department])
    async def list_departments(ws: WorkspaceId, who: Reader) -> Any:
        return ws_or_404(ws).departments

    @r.get("/workspaces/{ws}/departments/{name}", response_model=Department)
    async def get_department(ws: WorkspaceId, name: DeptName, who: Reader) -> Any:
        found = ws_or_404(ws).department(name)
        if found is None:
            raise HTTPException(404, "no such department")
        return found

    @r.put("/workspaces/{ws}/departments/{name}", response_model=Department, summary="Create or replace")
    async def put_department(ws: WorkspaceId, name: DeptName, body: Department, who: Writer, expected: ExpectedVersion) -> Any:
        if body.name != name:
            raise HTTPException(422, [{"loc": ["body", "name"], "msg": "must equal the department in the path",
                                       "type": "value_error"}])

        def mutate(d: dict[str, Any]) -> None:
            new = body.model_dump(mode="json")
            names = [x["name"] for x in d["departments"]]
            if name in names:
                d["departments"][names.index(name)] = new
            else:
                d["departments"].append(new)

        new_ws = await service.change(who, ws, ("departments", name), mutate, expected_version=expected)
        return new_ws.department(name)

    @r.patch("/workspaces/{ws}/departments/{name}", response_model=Department,
             summary="Change some of a department's fields (routing, hours, ...) as one change")
    async def patch_department(
        ws: WorkspaceId, name: DeptName, body: DepartmentEdit, who: Writer, expected: ExpectedVersion
    ) -> Any:
        # One request, one version, one config.changed event: the body is checked whole (422 naming the
        # field) and the workspace after it too, before anything is audited or saved.
        changes = body.model_dump(mode="json", exclude_none=True)

        def mutate(d: dict[str, Any]) -> None:
            d["departments"][_dept_index(d, name)].update(changes)

        new_ws = await service.change(who, ws, ("departments", name), mutate, expected_version=expected)
        return new_ws.department(name)

    @r.delete("/workspaces/{ws}/departments/{name}", status_code=204)
    async def delete_department(ws: WorkspaceId, name: DeptName, who: Writer, expected: ExpectedVersion) -> None:
        def mutate(d: dict[str, Any]) -> None:
            del d["departments"][_dept_index(d, name)]

        await service.change(who, ws, ("departments", name), mutate, expected_version=expected)

    @r.get("/workspaces/{ws}/routing", response_model=list[Routing])
    async def get_routing(ws: WorkspaceId, who: Reader) -> Any:
        return [
            Routing(department=d.name, targets={str(k): v for k, v in d.targets.items()},
                    requires_approval=d.requires_approval, enabled=d.enabled)
            for d in ws_or_404(ws).departments
        ]

    @r.put("/workspaces/{ws}/departments/{name}/routing", response_model=Routing)
    async def put_routing(ws: WorkspaceId, name: DeptName, body: RoutingUpdate, who: Writer, expected: ExpectedVersion) -> Any:
        def mutate(d: dict[str, Any]) -> None:
            dept = d["departments"][_dept_index(d, name)]
            dept["targets"] = {str(k): v for k, v in body.targets.items()}
            dept["requires_approval"] = body.requires_approval
            dept["enabled"] = body.enabled

        new_ws = await service.change(who, ws, ("departments", name), mutate, expected_version=expected)
        dept = new_ws.department(name)
        assert dept is not None
        return Routing(department=name, targets={str(k): v for k, v in dept.targets.items()},
                       requires_approval=dept.requires_approval, enabled=dept.enabled)

    @r.get("/workspaces/{ws}/departments/{name}/hours", response_model=BusinessHours)
    async def get_hours(ws: WorkspaceId, name: DeptName, who: Reader) -> Any:
        found = ws_or_404(ws).department(name)
        if found is None:
            raise HTTPException(404, "no such department")
        return found.hours

    @r.put("/workspaces/{ws}/departments/{name}/hours", response_model=BusinessHours)
    async def put_hours(ws: WorkspaceId, name: DeptName, body: BusinessHours, who: Writer, expected: ExpectedVersion) -> Any:
        def mutate(d: dict[str, Any]) -> None:
            d["departments"][_dept_index(d, name)]["hours"] = body.model_dump(mode="json")

        new_ws = await service.change(who, ws, ("departments", name, "hours"), mutate, expected_version=expected)
        dept = new_ws.department(name)
        assert dept is not None
        return dept.hours

    @r.get("/workspaces/{ws}/ivr", response_model=IvrMenu)
    async def get_ivr(ws: WorkspaceId, who: Reader) -> Any:
        return ws_or_404(ws).ivr

    @r.put("/workspaces/{ws}/ivr", response_model=IvrMenu)
    async def put_ivr(ws: WorkspaceId, body: IvrMenu, who: Writer, expected: ExpectedVersion) -> Any:
        texts: list[tuple[list[str | int], str]] = [
            (["body", "greeting"], body.greeting),
            (["body", "invalid_prompt"], body.invalid_prompt),
            (["body", "goodbye_prompt"], body.goodbye_prompt),
        ]
        texts += [(["body", "options", i, "prompt"], o.prompt) for i, o in enumerate(body.options)]
        for loc, text in texts:
            if not text.strip() or len(text) > MAX_PROMPT_CHARS:
                raise HTTPException(422, [{"loc": loc, "msg": f"a prompt is 1 to {MAX_PROMPT_CHARS} characters",
                                           "type": "value_error"}])
        digits = [o.digit for o in body.options]
        if len(set(digits)) != len(digits):
            raise HTTPException(422, [{"loc": ["body", "options"], "msg": "each digit may be used once",
                                       "type": "value_error"}])
        new_ws = await service.change(who, ws, ("ivr",), lambda d: d.update(ivr=body.model_dump(mode="json")),
                                      expected_version=expected)
        return new_ws.ivr

    @r.get("/workspaces/{ws}/features", response_model=Features)
    async def get_features(ws: WorkspaceId, who: Reader) -> Any:
        return ws_or_404(ws).features

    @r.put("/workspaces/{ws}/features", response_model=Features)
    async def put_features(ws: WorkspaceId, body: Features, who: Writer, expected: ExpectedVersion) -> Any:
        new_ws = await service.change(
            who, ws, ("features",), lambda d: d.update(features=body.model_dump(mode="json")),
            expected_version=expected,
        )
        return new_ws.features

    return r

