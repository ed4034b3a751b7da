"""A local cluster on one machine: ``dialphone cluster up --workers N``.

Kamailio at the SIP edge (:mod:`.kamailio`, configuration in ``deploy/kamailio/``), N ``dialphone
serve`` workers behind it, and PostgreSQL for the state they share (:mod:`.postgres`, unless
``DIALPHONE_DATABASE_URL`` names one), started, watched and stopped by :mod:`.supervisor`; the
command line is :mod:`.cli`. It runs the server as separate processes and never imports it.
"""
