"""Queue background work without letting a broker outage fail the request that asked for it.

The work itself is always recorded in PostgreSQL first (a pending document, pending campaign
sends, pending invoice-run rows); the task message only wakes a worker early. When the broker
(Redis) is down, the message is dropped with a warning and the periodic sweeps queue the pending
work once the broker is back, so nothing is lost and the clerk's order or invoice still posts.
"""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)


def enqueue(task, *args) -> bool:
    """`task.delay(*args)`; False (and a warning) when the broker cannot take the message."""
    try:
        task.delay(*args)
    except (OperationalError, ConnectionError, OSError) as exc:
        log.warning("broker unavailable, %s%r left for the sweep: %s", task.name, args, exc)
        return False
    return True
