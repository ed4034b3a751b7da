"""The workspace's own text, registered with the audit log's raw-data check (:mod:`audit.provenance`).

A reply that quotes the FAQ ("call our pharmacy at 555 010 0199", "we are at 1200 Main Street") holds
digits and addresses that are the business's, not the caller's: they pass the check by where they
come from, while any other run of 7+ digits is still refused.
"""

from __future__ import annotations

from collections.abc import Iterator

from audit.provenance import Owned, register_owned
from concierge.config import Workspace


def workspace_texts(workspace: Workspace) -> Iterator[str]:
    """Every caller-facing or model-facing text of the workspace's configuration."""
    yield workspace.name
    yield workspace.greeting
    for entry in workspace.brain.faq:
        yield from (v for v in entry.values() if isinstance(v, str))
    for dept in workspace.departments:
        yield dept.description
        yield from dept.examples
    ivr = workspace.ivr
    yield from (ivr.greeting, ivr.invalid_prompt, ivr.goodbye_prompt)
    yield from (o.prompt for o in ivr.options)


def register_workspace(workspace: Workspace) -> Owned:
    """Register what ``workspace`` owns (cheap when nothing changed since the last call)."""
    return register_owned(workspace.id, workspace_texts(workspace))
