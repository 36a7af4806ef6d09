"""A stop asked for (SIGTERM, Ctrl-C) at any moment of `chuding serve`, its start-up
included: remembered until the service can act on it, instead of ending the process by
the signal."""

from __future__ import annotations

import signal
import threading

STOP_ASKED = threading.Event()


def listen_for_stop() -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: STOP_ASKED.set())
