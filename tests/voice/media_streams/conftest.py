"""The local stand-in for Twilio's REST API, switched on for one test on the shared media server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from media_server import MediaServer

from voice.testing.twilio_api import TwilioApiServer

TWILIO_FIELDS = ("twilio_account_sid", "twilio_auth_token", "twilio_api_base")


@pytest_asyncio.fixture
async def twilio(media_server: MediaServer) -> AsyncIterator[TwilioApiServer]:
    """Twilio credentials on the media server for this test: transfers go to this stand-in (which
    records every request), and every ``/media/twilio`` upgrade must carry ``X-Twilio-Signature``."""
    async with TwilioApiServer() as api:
        media_server.set_security(twilio_account_sid=api.account_sid, twilio_auth_token=api.auth_token,
                                  twilio_api_base=api.base_url)
        try:
            yield api
        finally:
            media_server.set_security(**dict.fromkeys(TWILIO_FIELDS))
