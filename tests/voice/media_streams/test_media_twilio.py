"""Twilio call control without a media server: the official SDK against the local stand-in of the REST
API (bodies recorded), TwiML per target kind, X-Twilio-Signature, the settings that configure them."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from concierge.config import load_workspace
from voice.media_streams.signature import candidate_urls, valid_signature
from voice.media_streams.twilio_rest import NotDialable, TwilioCallControl, TwilioRest, dial_twiml
from voice.settings import Settings
from voice.testing.twilio_api import TwilioApiServer

EXAMPLE = "examples/workspace.yaml"


@pytest.mark.parametrize(("target", "inside"), [
    ("+15550100123", "<Dial><Number>+15550100123</Number></Dial>"),
    ("tel:+1 555-010-0123", "<Dial><Number>+15550100123</Number></Dial>"),
    ("sip:billing@pbx.example.com", "<Dial><Sip>sip:billing@pbx.example.com</Sip></Dial>"),
    ("client:agent_7", "<Dial><Client>agent_7</Client></Dial>"),
    ("queue:billing", "<Enqueue>billing</Enqueue>"),
])
def test_each_target_kind_has_its_twiml(target: str, inside: str) -> None:
    assert inside in dial_twiml(target)


@pytest.mark.parametrize("target", ["billing", "", "queue:", "http://evil.example/twiml", "+1<x>"])
def test_anything_else_is_not_dialable(target: str) -> None:
    with pytest.raises(NotDialable):
        dial_twiml(target)


async def test_a_transfer_is_done_only_when_the_api_confirmed_it() -> None:
    async with TwilioApiServer(known_calls_only=True) as api:
        api.add_call("CA-live")
        rest = TwilioRest(account_sid=api.account_sid, auth_token=api.auth_token, api_base=api.base_url)
        control = TwilioCallControl(rest, "CA-live")
        ok = await control.transfer("billing", "+15550100123")
        assert ok and ok.confirmed_by == "twilio_rest" and control.transfers == [("billing", "+15550100123")]
        (req,) = api.updates("CA-live")
        assert req.form == {"Twiml": dial_twiml("+15550100123")}  # the TwiML and nothing else

        api.fail_next(500)
        failed = await control.transfer("billing", "+15550100123")
        assert not failed and (failed.error_kind, failed.provider_status) == ("twilio_http_500", 500)
        gone = await TwilioCallControl(rest, "CA-ended").transfer("billing", "+15550100123")
        assert (gone.error_kind, gone.provider_status) == ("twilio_http_404", 404)
        wrong = TwilioRest(account_sid=api.account_sid, auth_token="not-it", api_base=api.base_url)
        assert (await TwilioCallControl(wrong, "CA-live").transfer("b", "+15550100123")).provider_status == 401
        assert (await control.transfer("b", "nowhere")).error_kind == "target_not_dialable"
        assert len(api.requests) == 4  # an undialable target sends nothing
    unreachable = TwilioRest(account_sid="AC1", auth_token="t", api_base=api.base_url, timeout_s=2)
    assert (await TwilioCallControl(unreachable, "CA").transfer("b", "+15550100123")).error_kind == "twilio_unreachable"
    assert (await TwilioCallControl(None, "CA").transfer("b", "+15550100123")).error_kind == "transfer_not_configured"


def test_signature_is_checked_over_the_url_twilio_signed() -> None:
    token = "auth-token-123"
    url = "wss://voice.example.com/media/twilio"
    signature = RequestValidator(token).compute_signature(url, {})
    seen = candidate_urls(scheme="ws", host="voice.example.com", path="/media/twilio", query="", public_url=None)
    assert url in seen  # TLS ended at a proxy: the server sees ws, Twilio signed wss
    assert valid_signature(auth_token=token, headers={"x-twilio-signature": signature}, urls=seen)
    assert not valid_signature(auth_token="other", headers={"x-twilio-signature": signature}, urls=seen)
    assert not valid_signature(auth_token=token, headers={}, urls=seen)
    elsewhere = candidate_urls(scheme="ws", host="10.0.0.5:8080", path="/media/twilio", query="", public_url=url)
    assert valid_signature(auth_token=token, headers={"x-twilio-signature": signature}, urls=elsewhere)


def test_settings_set_the_twilio_credentials_of_the_running_copy_only() -> None:
    settings = Settings(twilio_account_sid="AC123", twilio_auth_token="secret-token",  # type: ignore[arg-type]
                        twilio_api_base="http://127.0.0.1:9")
    ws = settings.runtime_workspace(load_workspace(EXAMPLE, env={}))
    sec = ws.security
    assert (sec.twilio_account_sid, sec.twilio_auth_token, sec.twilio_api_base) == (
        "AC123", "secret-token", "http://127.0.0.1:9")
    assert "secret-token" not in repr(settings) and settings.summary()["twilio_auth_token"] == "set"
