"""voice/rtp package."""
