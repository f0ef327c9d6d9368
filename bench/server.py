"""Benchmark of the reference server: page requests per second, latency percentiles and memory.

Starts `apiconform serve --records N` (default 100,000 per API) as a subprocess, learns real filter
values from it (connections, ids, accounts, dates), then drives a mix of filtered, sorted and paged
requests on both APIs over keep-alive connections from client threads, and prints throughput,
latency percentiles and the server's resident memory.

    .venv/bin/python bench/server.py [--records 100000] [--seconds 20] [--connections 2]

Targets (issue 3): >= 500 requests/s on one worker, p99 < 20 ms, RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

TOKEN = "bench-token"
Query = dict[str, str]
Request = Callable[[random.Random], tuple[str, Query]]  # draws a (path, query) to send


def start_server(records: int) -> tuple[subprocess.Popen[str], dict[str, str], float]:
    """The server process, the URLs it printed, and how long it took to be ready."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "apiconform", "serve", "--records", str(records), "--port", "0", "--token", TOKEN],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    urls: dict[str, str] = {}
    for line in process.stdout:
        words = line.split()
        if len(words) == 2 and words[1].startswith("http://"):
            urls[words[0]] = words[1]
        if line.startswith("Press Ctrl+C"):
            return process, urls, time.monotonic() - started
    raise SystemExit(f"the server exited before it was ready (code {process.wait()})")


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in KiB."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


class Connection:
    """One keep-alive HTTP connection to the server."""

    def __init__(self, host: str, port: int) -> None:
        self.http = http.client.HTTPConnection(host, port, timeout=30)
        self.headers = {"Authorization": f"Bearer {TOKEN}"}

    def get(self, path: str, query: Query) -> tuple[int, bytes, float]:
        target = path + ("?" + urllib.parse.urlencode(query, safe=",") if query else "")
        started = time.perf_counter()
        self.http.request("GET", target, headers=self.headers)
        response = self.http.getresponse()
        body = response.read()
        return response.status, body, time.perf_counter() - started


def discover(connection: Connection, allocations: str, adjustments: str, connections: str) -> dict[str, Any]:
    """Real values to filter on, read from the server."""
    _, body, _ = connection.get(connections, {"pageSize": "500"})
    links = json.loads(body)["connections"]
    _, body, _ = connection.get(allocations, {"pageSize": "500", "pageNumber": "7"})
    records = json.loads(body)["allocations"]
    _, body, _ = connection.get(adjustments, {"limit": "1000", "offset": "3000"})
    brm = json.loads(body)
    return {
        "connections": [link["id"] for link in links],
        "partners": sorted({link["partnerId"] for link in links}),
        "clients": sorted({link["clientId"] for link in links}),
        "allocation_ids": [record["id"] for record in records],
        "adjustment_ids": [record["id"] for record in brm],
        "accounts": sorted({record["partyAccount"]["id"] for record in brm}),
        "dates": [record["requestedDate"] for record in brm],
    }


def request_mix(values: dict[str, Any], allocations: str, adjustments: str) -> list[Request]:
    """Request makers: each draws one realistic query (half BitGo, half BRM)."""

    def page(rng: random.Random, deep: bool = False) -> str:
        return str(rng.randint(0, 1500) if deep else rng.randint(0, 40))

    bitgo: list[Callable[[random.Random], Query]] = [
        lambda rng: {},
        lambda rng: {"pageSize": "50", "pageNumber": page(rng)},
        lambda rng: {"statuses": "cleared", "sortField": "quantity", "sortDirection": "DESC", "pageNumber": page(rng)},
        lambda rng: {"currencies": "BTC,ofcbtc,btc", "sortField": "updatedAt", "pageSize": "100"},
        lambda rng: {"connectionIds": rng.choice(values["connections"]), "sortField": "updatedAt",
                     "sortDirection": "DESC"},
        lambda rng: {"partnerIds": rng.choice(values["partners"]), "types": "allocation", "pageSize": "50",
                     "pageNumber": page(rng)},
        lambda rng: {"clientIds": rng.choice(values["clients"]), "statuses": "reserved,released"},
        lambda rng: {"sortField": "id", "sortDirection": "DESC", "pageNumber": page(rng)},
        lambda rng: {"allocationIds": ",".join(rng.sample(values["allocation_ids"], 5))},
        lambda rng: {"pageSize": "25", "pageNumber": page(rng, deep=True)},
    ]  # fmt: skip
    brm: list[Callable[[random.Random], Query]] = [
        lambda rng: {},
        lambda rng: {"limit": "25", "offset": str(rng.randint(0, 2000))},
        lambda rng: {"usageType": "other", "limit": "50", "offset": str(rng.randint(0, 500))},
        lambda rng: {"partyAccount.id": rng.choice(values["accounts"])},
        lambda rng: {"status": "completed", "requestedDate.gte": rng.choice(values["dates"]), "limit": "100"},
        lambda rng: {"requestedDate.gt": min(pair := rng.sample(values["dates"], 2)), "requestedDate.lt": max(pair)},
        lambda rng: {"@type": "AdjustBalanceOracle", "limit": "25", "offset": str(rng.randint(0, 1000))},
        lambda rng: {"fields": "id,amount,requestedDate", "limit": "100"},
        lambda rng: {"id": rng.choice(values["adjustment_ids"])},
        lambda rng: {"limit": "25", "offset": str(rng.randint(0, 70000))},
    ]

    def on(path: str, make: Callable[[random.Random], Query]) -> Request:
        return lambda rng: (path, make(rng))

    return [on(allocations, make) for make in bitgo] + [on(adjustments, make) for make in brm]


def drive(host: str, port: int, mix: list[Request], seconds: float, worker: int) -> tuple[list[float], int]:
    """Send mixed requests for `seconds`; return the latencies of the 200s and the count of anything else."""
    rng = random.Random(worker)
    connection = Connection(host, port)
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        path, query = rng.choice(mix)(rng)
        status, _, elapsed = connection.get(path, query)
        if status == 200:
            latencies.append(elapsed)
        else:
            errors += 1
    return latencies, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records per API (default 100000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured duration (default 20)")
    parser.add_argument("--connections", type=int, default=2, help="concurrent keep-alive connections (default 2)")
    args = parser.parse_args()

    process, urls, startup = start_server(args.records)
    try:
        allocations_url = urllib.parse.urlsplit(urls["allocations"])
        host, port = allocations_url.hostname or "127.0.0.1", allocations_url.port or 80
        allocations = allocations_url.path
        adjustments = urllib.parse.urlsplit(urls["adjustBalance"]).path
        connections = allocations.replace("/allocations", "/connections")
        values = discover(Connection(host, port), allocations, adjustments, connections)
        mix = request_mix(values, allocations, adjustments)
        drive(host, port, mix, 2.0, worker=99)  # warm-up: statement cache, count cache, page cache
        results: list[tuple[list[float], int]] = []
        threads = [
            threading.Thread(target=lambda w=w: results.append(drive(host, port, mix, args.seconds, w)))
            for w in range(args.connections)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        memory = memory_kib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

    latencies = sorted(latency for latencies, _ in results for latency in latencies)
    errors = sum(errors for _, errors in results)
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"records per API     {args.records}")
    print(f"server ready in     {startup:.1f} s")
    print(f"connections         {args.connections} keep-alive, {len(mix)} request shapes (half BitGo, half BRM)")
    print(f"requests            {len(latencies)} ok, {errors} other in {elapsed:.1f} s")
    print(f"throughput          {len(latencies) / elapsed:.0f} requests/s")
    print(f"latency p50         {quantiles[49] * 1000:.2f} ms")
    print(f"latency p95         {quantiles[94] * 1000:.2f} ms")
    print(f"latency p99         {quantiles[98] * 1000:.2f} ms")
    print(f"latency max         {latencies[-1] * 1000:.2f} ms")
    print(f"server RSS          {memory['VmRSS'] / 1024:.0f} MB (peak {memory['VmHWM'] / 1024:.0f} MB)")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
