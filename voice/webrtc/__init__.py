"""Browser and softphone calls over WebRTC: signalling (``POST /api/offer``) and the browser caller
page (:mod:`.signalling`, files in ``web/``), and the pipecat SmallWebRTC transport around each
peer connection (:mod:`.transport`).
"""
