"""The server process: state and start-up (:mod:`.process`), the HTTP app (:mod:`.app`), the
``dialphone serve`` entry point with its signal handling and ordered shutdown (:mod:`.main`), and
logging set-up (:mod:`.logs`). It starts the listeners in :mod:`voice.telephony`,
:mod:`voice.webrtc` and :mod:`voice.media_streams`; it never imports :mod:`voice.testing`.
"""
