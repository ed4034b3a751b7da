"""Exceptions raised by the audit package.

Every error the package raises on purpose derives from :class:`AuditError`::

    AuditError
    ├── SchemaError            an event or payload does not match the versioned schema
    │   └── RawDataError       a payload field looks like raw caller data (untokenized digits, e-mail)
    ├── CanonicalError         a value cannot be put in canonical JSON (float, NaN, big int, lone surrogate)
    ├── MalformedRecordError   a stored or exported row cannot be parsed back into a record
    ├── KeyMaterialError       a signing or public key cannot be loaded
    ├── AuditStoreError        the backing store failed (I/O, locked database, closed store)
    ├── AuditLogClosedError    append() on an AuditLog that is not running
    ├── AuditQueueFullError    append_nowait() while the bounded queue is full
    └── ExportFormatError      an export file is not a DialPhone audit export

Tampering is *not* an exception: the verifier returns a report naming the first bad seq and the
fault kind (see :mod:`audit.verify`). Messages never carry payload values, only field names,
event types and sequence numbers, so they are safe to log.
"""

from __future__ import annotations


class AuditError(Exception):
    """Base class of every error raised by the audit package."""


class SchemaError(AuditError, ValueError):
    """An event or its payload does not match the schema for its type."""


class RawDataError(SchemaError):
    """A payload field looks like raw caller data (the value itself is never echoed)."""


class CanonicalError(AuditError, ValueError):
    """A value has no canonical JSON form under the audit rules."""


class MalformedRecordError(AuditError, ValueError):
    """A stored or exported row cannot be parsed into an audit record."""

    def __init__(self, message: str, *, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


class KeyMaterialError(AuditError, ValueError):
    """A private or public key cannot be loaded or is of the wrong type."""


class AuditStoreError(AuditError):
    """The backing store failed."""


class AuditLogClosedError(AuditError):
    """The asynchronous log is not running."""


class AuditQueueFullError(AuditError):
    """The bounded write queue is full; the caller should slow down or await append()."""


class ExportFormatError(AuditError, ValueError):
    """A file is not a DialPhone audit export (bad header, unknown record kind)."""
