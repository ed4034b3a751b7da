"""Static files of the browser page (served by :mod:`voice.webrtc.signalling`)."""
