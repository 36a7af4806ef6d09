"""A local S3-compatible server of the tests' own (moto in server mode), over HTTP on a
free port: the S3 store is tested against a real server, never patched in-process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.pgserver import free_port


class S3Missing(RuntimeError):
    """The server could not be started: the run fails loudly, it is never skipped."""


@contextmanager
def s3_server(log: Path) -> Iterator[str]:
    """The server's address (host:port) while it runs."""
    server = Path(sys.executable).with_name("moto_server")
    if not server.exists():
        raise S3Missing(f"{server} is missing: `bash .ci/setup` installs moto[server]")
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise S3Missing(f"the S3 server did not start: {log.read_text()[-500:]}") from None
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
