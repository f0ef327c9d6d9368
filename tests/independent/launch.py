"""Independent servers for the e2e tier: an ASGI application served by uvicorn in a child process.

The listening socket is bound and listening here, before the child starts, and handed to it by descriptor:
a request made at once waits in the socket's backlog until the child serves it, so no test sleeps or polls
for the port."""

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
# The child's program. Not `uvicorn --fd`: uvicorn takes that descriptor as a Unix socket, so asyncio leaves
# Nagle's algorithm on for its TCP connections, and a reply written in several pieces (Datasette's) then
# waits for the client's delayed ACK: 48 ms a request on a kept-alive connection instead of 7.
# `socket.socket(fileno=...)` reads the family from the descriptor. The application is imported before the
# event loop starts, as the uvicorn command does: the DRF app migrates and seeds its database on import,
# which Django refuses inside a running loop. Keep-alive as the reference server's.
CHILD = """
import socket, sys, uvicorn
config = uvicorn.Config(sys.argv[2], log_level="warning", timeout_keep_alive=60)
config.load()
uvicorn.Server(config).run(sockets=[socket.socket(fileno=int(sys.argv[1]))])
"""


@contextmanager
def asgi_process(app: str, *, env: Mapping[str, str] | None = None, cwd: str | None = None) -> Iterator[str]:
    """Serve `app` ("module:attribute", importable from `cwd`) on a loopback port until the block ends;
    yields the origin (http://127.0.0.1:PORT). The child's output goes to the test's captured stderr."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    origin = f"http://127.0.0.1:{listener.getsockname()[1]}"
    command = [sys.executable, "-c", CHILD, str(listener.fileno()), app]
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
