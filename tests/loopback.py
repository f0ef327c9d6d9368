"""A stdlib HTTP server for tests, serving from a daemon thread on a loopback port.

The port is bound when the server object is built, before `InThread` returns, so a request made
afterwards is served: no sleep and no polling.
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


class InThread:
    """`httpd` serving from its own daemon thread until `stop`; each connection gets a daemon thread too,
    so a client that never hangs up does not keep the test process alive."""

    def __init__(self, httpd: ThreadingHTTPServer) -> None:
        httpd.daemon_threads = True
        self.httpd = httpd
        self.thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)
