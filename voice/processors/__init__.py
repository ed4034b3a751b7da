"""Our pipecat processors: small, one concern each."""
