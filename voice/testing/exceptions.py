"""What a tester's command can get wrong, as one exception with a one-line message.

:class:`ReplayError` is raised for every expected failure of a replay or a benchmark run: an input
that is not audio or not a fixture, a sample rate the pipeline cannot take, a missing ``--server``, a
stream the server refused. Its message names the cause and the fix, and never carries caller data;
the command prints it on one line and exits non-zero (``dialphone replay``, ``bench ...``).
"""

from __future__ import annotations


class ReplayError(Exception):
    """An expected failure of a tester's command; ``str()`` is the line to print."""
