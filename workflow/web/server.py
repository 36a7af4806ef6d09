"""The web pages served beside the schedule, by uvicorn in a thread of `chuding serve`."""

from __future__ import annotations

import logging
import socket
import threading
from typing import TYPE_CHECKING

from workflow.errors import BadUsage

if TYPE_CHECKING:
    from workflow.runtime.bootstrap import Runtime

log = logging.getLogger("chuding.web")


def listen_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8000`` for IPv6), or bad usage naming the option."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BadUsage(f"--http {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8000")
    return host, int(port)


# glibc's malloc raises its threshold for giving a large block a mapping of its own each
# time one is freed; after the first upload, 5 MB buffers come from each thread's heap and
# stay there when freed, so resident memory grows with every thread that ever read an
# upload (twenty 5 MB uploads at once: +157 MB, against +79 MB with the threshold fixed).
# A fixed threshold keeps buffers of a megabyte and more in mappings that are returned to
# the system when freed. Elsewhere than glibc, nothing is changed.
LARGE_BUFFER = 1024 * 1024
M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h


def return_large_buffers() -> None:
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(M_MMAP_THRESHOLD, LARGE_BUFFER)
    except OSError:
        return


class WebServer:
    """Binds at once (a port in use is an error before anything starts), then serves in a
    thread until ``stop``."""

    def __init__(self, runtime: Runtime, address: str):
        import uvicorn

        from workflow.web import create_app

        host, port = listen_address(address)
        return_large_buffers()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError as err:
            self.socket.close()
            raise BadUsage(f"--http {address}: cannot listen there ({err.strerror}); choose another"
                           " address, or --no-http") from None
        self.url = f"http://{f'[{host}]' if family == socket.AF_INET6 else host}:{port}/"
        # X-Forwarded-For is believed only from the proxies the bureau names; otherwise the
        # address in the audit is the peer's own (uvicorn would trust 127.0.0.1 by default).
        trusted = runtime.settings.trusted_proxies
        config = uvicorn.Config(create_app(runtime), lifespan="off", log_level="warning", access_log=False,
                                proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name="web", daemon=True)

    def start(self) -> None:
        self.thread.start()
        log.info("web pages at %s", self.url)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.socket.close()
