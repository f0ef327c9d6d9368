"""Independent servers for the e2e tier: an ASGI application served by uvicorn in a child process.

The listening socket is bound and listening here, before the child starts, and handed to it (`uvicorn
--fd`): a request made at once waits in the socket's backlog until the child serves it, so no test sleeps
or polls for the port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import requests

# Starting Django or Datasette and answering a first request takes about a second; on a busy machine more.
START_TIMEOUT = 120


@contextmanager
def asgi_process(app: str, *, env: Mapping[str, str] | None = None, cwd: str | None = None) -> Iterator[str]:
    """Serve `app` ("module:attribute", importable from `cwd`) on a loopback port until the block ends;
    yields the origin (http://127.0.0.1:PORT). The child's output goes to the test's captured stderr."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    origin = f"http://127.0.0.1:{listener.getsockname()[1]}"
    command = [sys.executable, "-m", "uvicorn", "--fd", str(listener.fileno()), "--log-level", "warning", app]
    with tempfile.TemporaryFile() as log:
        child = subprocess.Popen(
            command, pass_fds=[listener.fileno()], env={**os.environ, **(env or {})}, cwd=cwd, stderr=log
        )
        # The child holds the socket now: should it exit, connections are refused instead of waiting.
        listener.close()
        try:
            try:
                # Waits in the backlog until the child accepts.
                requests.get(origin + "/", timeout=START_TIMEOUT)
            except requests.RequestException as error:
                child.kill()
                child.wait(timeout=30)
                log.seek(0)
                output = log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"{app} did not start: {error}\n{output}") from None
            yield origin
        finally:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
