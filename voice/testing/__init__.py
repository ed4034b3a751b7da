"""What a tester runs against a server, never imported by it: simulated callers and scenarios,
the replay harness (in process, or remote over a media stream, WebRTC or SIP), the SIP user agent
client, and the benchmarks (``dialphone replay``, ``dialphone bench latency|concurrency|ivr``).
"""
