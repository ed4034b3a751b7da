"""WebSocket media streams (the Twilio Media Streams protocol that most CPaaS providers speak).

- :mod:`.websocket`: the ``/media/twilio`` route: handshake, authentication, one call per stream
- :mod:`.protocol`: the sans-I/O message parser (JSON in, typed events out)
- :mod:`.transport`: the pipecat transport and its hardened serializer
- :mod:`.token`: the signed stream token in the ``start`` message
- :mod:`.exceptions`: the package's errors
"""
