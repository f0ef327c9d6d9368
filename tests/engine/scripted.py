"""Small targets for engine tests: a scripted loopback HTTP server, and sessions on a reference server."""

from __future__ import annotations

from typing import Any

from apiconform import contract
from apiconform.engine.config import RunConfig
from apiconform.engine.session import ConformanceSession
from tests.loopback import InThread

BRM = "brm-adjust-balance"
OES = "bitgo-oes"
# Requests per second against a server a test started on this machine (every --base-url is paced).
TEST_SERVER_RATE = 1000.0


def session_for(server: Any, api: str, **options: Any) -> ConformanceSession:
    """A session testing `api` on a running reference server, as `apiconform run --base-url` would (at a
    pace of the test's own unless given: the server is the test's, no vendor's rate applies)."""
    options.setdefault("rate_limit", TEST_SERVER_RATE)
    config = RunConfig.checked(
        apis=[api],
        base_urls={api: server.api_base_url(api)},
        token=server.token,
        path_params=dict(server.path_parameters),
        **options,
    )
    return ConformanceSession(config)


class Scripted:
    """A loopback HTTP server whose answer to each GET is `answer(path_and_query)` -> (status, headers, body);
    `headers` a mapping, or (name, value) pairs where a name may come twice."""

    def __init__(self, answer: Any) -> None:
        import http.server

        scripted = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                scripted.seen.append(self.path)
                status, headers, body = answer(self.path)
                self.send_response(status)
                for name, value in headers.items() if isinstance(headers, dict) else headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.seen: list[str] = []
        self.served = InThread(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler))

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.served.port}{path}"

    def close(self) -> None:
        self.served.stop()


def brm_base(server: Scripted) -> str:
    """The scripted server's URL for BRM, as a --base-url (the spec's server path on its origin)."""
    return server.url(contract.load(BRM).server_path)
