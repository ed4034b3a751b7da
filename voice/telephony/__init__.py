"""SIP calls on the wire: asyncio and threads around the sans-I/O cores in :mod:`voice.sip` and
:mod:`voice.rtp`.

- :mod:`.listener`: ``SipServer``, the UDP and TCP listener, admission, one task per call
- :mod:`.endpoint`: one socket's datagrams and streams in and out of a ``SipCore``
- :mod:`.call`: one answered call: its RTP, its pipeline, REFER transfers, hang-up
- :mod:`.media`: the RTP media thread (one clock for every call) and each call's RTP session
- :mod:`.transport`: the pipecat transport over a call's RTP session
- :mod:`.gc_pacing`: full garbage-collection passes timed by the media clock
"""
