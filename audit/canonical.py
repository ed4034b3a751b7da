"""Canonical JSON and the row hash.

Canonical form (the bytes that are hashed and signed), in the spirit of RFC 8785 (JCS):

* UTF-8, no byte order mark; lone surrogates are rejected.
* No insignificant white space: ``,`` and ``:`` separators, nothing else between tokens.
* Object members sorted by key, comparing keys as UTF-16 code units (RFC 8785 section 3.2.3).
  For keys without characters above U+FFFF this equals code point order.
* Strings: only ``"`` ``\\`` and control characters are escaped; ``\\b \\f \\n \\r \\t`` use their
  short forms, other controls ``\\u00xx`` with lower-case hex; everything else is literal UTF-8.
* Numbers: integers only, in the I-JSON safe range ``[-(2**53 - 1), 2**53 - 1]``, written in
  decimal without exponent or leading zeros. Floats (and NaN, Infinity) are rejected, so there
  is no float formatting to agree on: durations are integer milliseconds.
* ``true``, ``false``, ``null`` as usual; arrays keep their order.

Row hash: ``row_hash = SHA-256(prev_hash_bytes || canonical_json(row without "row_hash"))``
where ``prev_hash_bytes`` is the 32 raw bytes of the previous row's hash in the same workspace
(32 zero bytes for the first row, :data:`GENESIS_HASH`). Hashes are written as 64 lower-case
hex characters.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from audit.exceptions import CanonicalError

JsonValue: TypeAlias = None | bool | int | str | list["JsonValue"] | dict[str, "JsonValue"]

MAX_SAFE_INT = 2**53 - 1
GENESIS_HASH = "0" * 64
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_encode_str: Callable[[str], str] = json.encoder.encode_basestring
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def is_hash(value: object) -> bool:
    """True for a 64-character lower-case hex string."""
    return isinstance(value, str) and _HEX64.match(value) is not None


def check_json(value: object, *, path: str = "$") -> None:
    """Raise :class:`CanonicalError` unless ``value`` is canonical-safe JSON (see module doc)."""
    if value is None or isinstance(value, (bool, str)):
        if isinstance(value, str):
            _check_str(value, path)
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise CanonicalError(f"integer out of the safe range at {path}")
        return
    if isinstance(value, float):
        raise CanonicalError(f"floats are not allowed in audit rows (at {path}); use integers")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_json(item, path=f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"object key is not a string at {path}")
            _check_str(key, path)
            check_json(item, path=f"{path}.{key}")
        return
    raise CanonicalError(f"unsupported type {type(value).__name__} at {path}")


def _check_str(value: str, path: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalError(f"lone surrogate in string at {path}") from None


def canonical_text(value: Any) -> str:
    """Canonical JSON text of an already checked value (see :func:`check_json`)."""
    try:
        text = _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise CanonicalError(f"value has no canonical JSON form: {type(exc).__name__}") from None
    if not text.isascii() and _ASTRAL.search(text) is not None:
        text = _dump_utf16_order(value)
    return text


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes (UTF-8) of an already checked value."""
    try:
        return canonical_text(value).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalError("lone surrogate in a string") from None


def _dump_utf16_order(value: Any) -> str:
    """Slow path: sort object keys by UTF-16 code units (differs only for astral characters)."""
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda k: str(k).encode("utf-16-be"))
        inner = ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_dump_utf16_order(value[k])}" for k in keys)
        return "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_dump_utf16_order(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def compute_row_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """``SHA-256(bytes.fromhex(prev_hash) || canonical_json(body))`` as lower-case hex.

    ``body`` is the row without its ``row_hash`` field.
    """
    try:
        prev = bytes.fromhex(prev_hash)
    except ValueError:
        raise CanonicalError("prev_hash is not hex") from None
    if len(prev) != 32:
        raise CanonicalError("prev_hash is not 32 bytes")
    return hashlib.sha256(prev + canonical_json(body)).hexdigest()


def row_canonical_text(
    *,
    schema_version: int,
    seq: int,
    ts: str,
    workspace_id: str,
    call_id: str | None,
    type: str,
    actor: str,
    payload_text: str,
    prev_hash: str,
) -> str:
    """Canonical text of a row body given the canonical text of its payload (writer fast path).

    Equal to ``canonical_text(body)``: the top-level keys are fixed ASCII names, listed here in
    sorted order; tests check the equality on generated rows."""
    enc = _encode_str
    call = "null" if call_id is None else enc(call_id)
    return (
        f'{{"actor":{enc(actor)},"call_id":{call},"payload":{payload_text},"prev_hash":{enc(prev_hash)},'
        f'"schema_version":{int(schema_version)},"seq":{int(seq)},"ts":{enc(ts)},"type":{enc(type)},'
        f'"workspace_id":{enc(workspace_id)}}}'
    )


def hash_canonical(prev_hash: str, text: str) -> str:
    """``SHA-256(bytes.fromhex(prev_hash) || text.encode("utf-8"))`` as hex."""
    try:
        return hashlib.sha256(bytes.fromhex(prev_hash) + text.encode("utf-8")).hexdigest()
    except (ValueError, UnicodeEncodeError):
        raise CanonicalError("prev_hash is not hex or text has a lone surrogate") from None


def _reject_float(text: str) -> Any:
    raise CanonicalError("floats are not allowed in audit rows")


def _reject_constant(text: str) -> Any:
    raise CanonicalError(f"{text} is not allowed in audit rows")


def loads_strict(text: str | bytes) -> Any:
    """Parse JSON the way the verifier must: floats, NaN and Infinity are rejected."""
    try:
        return json.loads(text, parse_float=_reject_float, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise CanonicalError(f"invalid JSON at line {exc.lineno} column {exc.colno}") from None
