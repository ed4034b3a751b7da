from __future__ import annotations

import os

import pytest

from redaction import CallRedactor, EntityType, UnknownTokenError, Vault, VaultError, VaultShreddedError

KEY = os.urandom(32)


def test_values_are_encrypted_and_detokenization_is_recorded() -> None:
    v = Vault(workspace_key=KEY, call_id="call-1")
    v.put("[SSN_1]", EntityType.SSN, "123456789", hint="6789")
    assert all(b"123456789" not in ct for _, _, ct in v.sealed().values())
    value, record = v.detokenize("[SSN_1]", purpose="screen-pop to billing", requester="agent:42")
    assert value == "123456789"
    assert record["event"] == "detokenization"
    assert record["token"] == "[SSN_1]"
    assert record["entity_type"] == "SSN"
    assert record["purpose"] == "screen-pop to billing"
    assert record["requester"] == "agent:42"
    assert record["call_id"] == "call-1"
    assert "123456789" not in repr(record)


def test_restore_needs_the_workspace_key() -> None:
    v = Vault(workspace_key=KEY, call_id="c")
    v.put("[PHONE_1]", EntityType.PHONE, "5558675309")
    again = Vault.restore(workspace_key=KEY, call_id="c", wrapped_key=v.wrapped_key, sealed=v.sealed())
    assert again.detokenize("[PHONE_1]", purpose="callback", requester="tool")[0] == "5558675309"
    with pytest.raises(VaultError):
        Vault.restore(workspace_key=os.urandom(32), call_id="c", wrapped_key=v.wrapped_key, sealed=v.sealed())


def test_shred_makes_values_unrecoverable() -> None:
    state = CallRedactor(workspace_key=KEY)
    state.redact("my social is 123-45-6789")
    sealed = state.vault.sealed()
    state.shred()
    assert state.vault.shredded
    with pytest.raises(VaultShreddedError):
        state.vault.detokenize("[SSN_1]", purpose="x", requester="y")
    with pytest.raises(VaultShreddedError):
        _ = state.vault.wrapped_key
    assert sealed  # the ciphertext may remain; without the data key it is noise


def test_unknown_token_and_missing_purpose() -> None:
    v = Vault(workspace_key=KEY, call_id="c")
    v.put("[CVV_1]", EntityType.CVV, "123")
    with pytest.raises(UnknownTokenError):
        v.detokenize("[CVV_9]", purpose="x", requester="y")
    with pytest.raises(VaultError):
        v.detokenize("[CVV_1]", purpose=" ", requester="y")


def test_bad_workspace_key() -> None:
    with pytest.raises(VaultError):
        Vault(workspace_key=b"short", call_id="c")


def test_keys_and_values_never_in_repr() -> None:
    state = CallRedactor(workspace_key=KEY, call_id="c")
    state.redact("my card is 4111 1111 1111 1111")
    for shown in (repr(state), repr(state.vault), str(state.vault)):
        assert "4111" not in shown
        assert KEY.hex() not in shown
        assert repr(KEY) not in shown
