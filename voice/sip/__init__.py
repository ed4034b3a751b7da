"""voice/sip package."""
