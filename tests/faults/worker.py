"""The Celery app as the fault-injection tests' workers run it: the real app and tasks, with one
fault armed by the environment (`SALESMKT_FAULT`), which fires once per test and then hangs the
worker process at that point until the test kills it.

- `render-mid-write`: a document's PDF is half written to its temporary file.
- `mail-after-smtp:N`: the N-th campaign mail was accepted by the SMTP server but not yet
  recorded as sent.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery.signals import worker_process_init

from salesmkt.celery import app

__all__ = ["app"]

FAULT = os.environ.get("SALESMKT_FAULT", "")
FAULT_DIR = Path(os.environ.get("SALESMKT_FAULT_DIR", "."))


def _arm() -> bool:
    """True the first time in the test (across processes): the fault fires only once."""
    try:
        fd = os.open(FAULT_DIR / "fired", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def _hang(note: str) -> None:
    marker = FAULT_DIR / "hanging.tmp"
    marker.write_text(f"{os.getpid()} {note}")
    marker.rename(FAULT_DIR / "hanging")
    while True:  # until SIGKILL
        time.sleep(1)


class _HalfWrite:
    """A file whose first write stops halfway, flushed to disk, and hangs."""

    def __init__(self, file):
        self.file = file

    def write(self, data: bytes) -> int:
        half = len(data) // 2
        self.file.write(data[:half])
        self.file.flush()
        os.fsync(self.file.fileno())
        _hang(f"wrote {half} of {len(data)} bytes")
        return half

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


class _OsWithHalfWrites:
    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def fdopen(fd, *args, **kwargs):
        file = os.fdopen(fd, *args, **kwargs)
        return _HalfWrite(file) if _arm() else file


@worker_process_init.connect
def _install_fault(**_kwargs) -> None:
    if FAULT == "render-mid-write":
        from salesmkt.core import documents

        documents.os = _OsWithHalfWrites()
    elif FAULT.startswith("mail-after-smtp:"):
        from crm.services import mailing

        nth = int(FAULT.split(":")[1])
        mark_sent = mailing._mark_sent
        count = {"sent": 0}

        def _mark_sent(send):
            count["sent"] += 1
            if count["sent"] == nth and _arm():
                _hang(f"send {send.pk} accepted by the server, not recorded")
            mark_sent(send)

        mailing._mark_sent = _mark_sent
