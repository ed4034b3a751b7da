"""concierge package."""
