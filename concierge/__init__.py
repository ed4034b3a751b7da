"""concierge: routing configuration, the brains, tools, transfer gate and approvals.

Public API (import from the modules; this package module stays light so that
``concierge.config`` loads without pipecat):

- ``concierge.session.ConciergeCall``: per-call state handed to every piece below
- ``concierge.brains.build_brain`` / ``new_context``: pick the brain, make an ``LLMContext`` with the tools
- ``concierge.embedded_brain.EmbeddedBrainService``, ``concierge.claude_brain.ClaudeBrainService``
- ``concierge.tools.ConciergeTools``, ``tools_schema``
- ``concierge.gate.TransferGate``, ``concierge.transfers.TransferCoordinator``
- ``concierge.approvals.ApprovalQueue`` (Protocol), ``InMemoryApprovalQueue``
- ``concierge.audit_sink.AuditSink`` (Protocol), ``concierge.call_control.CallControl`` (Protocol)
- ``concierge.messages_api_server.MessagesApiServer``: a local Anthropic Messages API for tests
- ``concierge.cli.main``: ``eval`` and ``bench-gate``
"""
