"""Transports that carry call audio in and out of a pipeline."""
