"""A throw-away PostgreSQL for the tests: Debian's ``postgresql`` package, ``initdb`` + ``pg_ctl``
as an unprivileged user, in a temporary folder, on a free loopback port.

The implementation is :mod:`voice.cluster.postgres`, the same one ``dialphone cluster up`` starts.
``make test`` installs the package when missing (``scripts/system-deps.sh``); there is no skip for
want of it: a test that needs PostgreSQL fails loudly if it cannot start one. As root, the cluster
runs as the ``postgres`` user the package creates (``runuser``); otherwise as the current user.

    cluster = PgCluster.start(); url = cluster.new_database(); ...; cluster.stop()
"""

from __future__ import annotations

from voice.cluster.postgres import PgCluster, free_port

__all__ = ["PgCluster", "free_port"]
