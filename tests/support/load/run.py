"""The bounded load test: CONNECTIONS websockets across 2 server processes on a Redis channel layer,
each subscribed to one object (instance subscription) and to the model observer of another, under
committed updates from a third process (the writer), for ROUNDS rounds.

    python -m tests.support.load.run --connections 2000 --objects 20 --updates 10 --rounds 3

Needs PostgreSQL and Redis on 127.0.0.1 (the Redis keys live under a prefix of the run).  Checks,
and exits non-zero unless they hold: every connection stays open; model observer events arrive
exactly once each and in commit order per object; instance subscription events arrive once per
commit, never going back to an older value (they carry the object as read at delivery); the
servers' memory after each round's connections close is within 10 % of the baseline (measured
after a warm-up round of 20 connections).  Prints delivery latency p50/p99 and events/s.

The servers run as docs/settings.rst ("Memory after many connections close") advises for processes
holding thousands of sockets: ``TRIM_MEMORY_AFTER_CLOSE`` on and ``PYTHONMALLOC=malloc``;
``--allocator pymalloc`` runs them on CPython's default small-object allocator instead, whose
arenas a burst of 1,000 connections per process leaves about 30 % larger (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


class Cluster:
    """Two server processes and the writer, sharing a Redis prefix."""

    def __init__(
        self,
        servers: int = 2,
        allocator: str = "malloc",
        env: dict[str, str] | None = None,
        logs: Path | None = None,
    ) -> None:
        """``env`` adds to the processes' environment; with ``logs`` (a directory) each server's
        output goes to ``logs/server-N.log`` (see :meth:`log`) instead of this process's."""
        self.env = {
            **os.environ,
            "PYTHONMALLOC": allocator,
            "DJANGO_SETTINGS_MODULE": "tests.support.load.settings",
            "DCRF_LOAD_PREFIX": f"dcrf-load-{uuid.uuid4().hex[:8]}",
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self.ports = [free_port() for _ in range(servers)]
        self.logs = [logs / f"server-{n}.log" for n in range(servers)] if logs is not None else []
        self.log_files = [path.open("wb") for path in self.logs]
        self.servers = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.support.load.processes", "serve", str(port)],
                cwd=ROOT,
                env=self.env,
                stdout=self.log_files[n] if self.logs else None,
                stderr=subprocess.STDOUT if self.logs else None,
            )
            for n, port in enumerate(self.ports)
        ]
        self.writer = subprocess.Popen(
            [sys.executable, "-m", "tests.support.load.processes", "write"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.command(None) == {"ready": True}
        for port in self.ports:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"server on port {port} did not start") from None
                    time.sleep(0.1)

    def command(self, line: str | None) -> Any:
        assert self.writer.stdin is not None and self.writer.stdout is not None
        if line is not None:
            self.writer.stdin.write(line + "\n")
            self.writer.stdin.flush()
        return json.loads(self.writer.stdout.readline())

    def log(self, n: int) -> str:
        """What server ``n`` printed so far (with ``logs``)."""
        return self.logs[n].read_text(errors="replace")

    def url(self, n: int) -> str:
        return f"ws://127.0.0.1:{self.ports[n % len(self.ports)]}/ws/"

    def memory(self) -> list[int]:
        probes = ("DCRF_LOAD_TRACEMALLOC", "DCRF_LOAD_MALLOCSTATS", "DCRF_LOAD_ARENAS")
        if any(os.environ.get(name) == "1" for name in probes):
            for server in self.servers:
                server.send_signal(signal.SIGUSR1)
            time.sleep(60 if os.environ.get("DCRF_LOAD_TRACEMALLOC") == "1" else 15)  # compare_to takes a while
        return [rss_kib(server.pid) for server in self.servers]

    def rss_parts(self) -> list[tuple[int, int]]:
        """Each server's resident memory split into anonymous (heap) and file-backed (code) pages."""
        return [(rss_kib(server.pid, "RssAnon"), rss_kib(server.pid, "RssFile")) for server in self.servers]

    def trim(self) -> list[int]:
        """RSS after a full collection and ``malloc_trim(0)`` in each server (DCRF_LOAD_TRIM=1)."""
        for server in self.servers:
            server.send_signal(signal.SIGUSR2)
        time.sleep(2)
        return [rss_kib(server.pid) for server in self.servers]

    def stop(self) -> None:
        for process in [*self.servers, self.writer]:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        for file in self.log_files:
            file.close()


class Client:
    """One connection: subscribed to ``instance_pk`` (request id 1) and watching ``watched_pk`` (2)."""

    def __init__(self, url: str, instance_pk: int, watched_pk: int) -> None:
        self.url = url
        self.instance_pk = instance_pk
        self.watched_pk = watched_pk
        self.instance_values: list[int] = []
        self.watched: list[tuple[int, float]] = []
        self.instance_times: list[tuple[int, float]] = []
        self.unexpected: list[Any] = []
        self.closed: BaseException | None = None
        self.ws: Any = None

    async def open(self) -> None:
        self.ws = await websockets.connect(self.url, max_queue=None, open_timeout=60, ping_interval=None)
        for message in (
            {"action": "subscribe_instance", "pk": self.instance_pk, "request_id": 1},
            {"action": "watch", "pk": self.watched_pk, "request_id": 2},
        ):
            await self.ws.send(json.dumps(message))
            reply = json.loads(await asyncio.wait_for(self.ws.recv(), 60))
            if reply["response_status"] != 201:
                raise RuntimeError(f"subscribe failed: {reply}")

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.time()
                frame = json.loads(raw)
                if frame["request_id"] == 1 and frame["action"] == "update":
                    self.instance_values.append(frame["data"]["value"])
                    self.instance_times.append((frame["data"]["value"], now))
                elif frame["request_id"] == 2 and frame["action"] == "update":
                    self.watched.append((frame["data"]["value"], now))
                else:
                    self.unexpected.append(frame)
        except websockets.ConnectionClosed as exc:
            self.closed = exc

    def reset(self) -> None:
        self.instance_values.clear()
        self.instance_times.clear()
        self.watched.clear()


async def open_all(clients: list[Client], concurrency: int = 100) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(client: Client) -> None:
        async with gate:
            await client.open()

    await asyncio.gather(*(one(client) for client in clients))


async def run_round(cluster: Cluster, pks: list[int], round_: int, connections: int, updates: int) -> dict[str, Any]:
    clients = [Client(cluster.url(n), pks[n % len(pks)], pks[(n + 1) % len(pks)]) for n in range(connections)]
    started = time.monotonic()
    await open_all(clients)
    opened = time.monotonic() - started
    readers = [asyncio.ensure_future(client.read()) for client in clients]
    result = await asyncio.to_thread(cluster.command, f"update {round_} {updates}")
    commits = {(pk, value): at for pk, value, at in result["commits"]}
    expected = [round_ * 1000 + n for n in range(1, updates + 1)]
    total = connections * updates * 2
    deadline = time.monotonic() + max(120, total / 100)
    while time.monotonic() < deadline:
        received = sum(len(c.instance_values) + len(c.watched) for c in clients)
        if received >= total or any(c.closed for c in clients):
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # anything beyond the expected events (duplicates) arrives now
    latencies: list[float] = []
    last = 0.0
    failures: list[str] = []
    for n, client in enumerate(clients):
        if client.closed is not None:
            failures.append(f"connection {n} closed: {client.closed!r}")
            continue
        values = [value for value, _ in client.watched]
        if values != expected:
            failures.append(f"connection {n} model observer got {values}, expected {expected}")
        if len(client.instance_values) != updates or client.instance_values != sorted(client.instance_values):
            failures.append(f"connection {n} instance subscription got {client.instance_values}")
        elif client.instance_values[-1] != expected[-1]:
            failures.append(f"connection {n} instance subscription ended at {client.instance_values[-1]}")
        if client.unexpected:
            failures.append(f"connection {n} unexpected frames {client.unexpected[:2]}")
        for value, at in client.watched:
            latencies.append(at - commits[(client.watched_pk, value)])
            last = max(last, at)
    first_commit = min(commits.values())
    for client in clients:
        await client.ws.close()
    await asyncio.gather(*readers, return_exceptions=True)
    received = sum(len(c.instance_values) + len(c.watched) for c in clients)
    latencies.sort()
    return {
        "round": round_,
        "connections": connections,
        "connect_seconds": round(opened, 2),
        "events_expected": total,
        "events_received": received,
        "events_per_second": round(received / max(last - first_commit, 1e-6)),
        "latency_p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        "latency_p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
        "failures": failures[:10],
        "failure_count": len(failures),
    }


async def main(args: argparse.Namespace) -> int:
    cluster = Cluster(args.servers, args.allocator)
    try:
        pks = (await asyncio.to_thread(cluster.command, f"setup {args.objects}"))["pks"]
        warm = await run_round(cluster, pks, 1, 20, 2)
        await asyncio.sleep(2)
        baseline = cluster.memory()
        report: dict[str, Any] = {
            "baseline_rss_kib": baseline,
            "baseline_anon_file_kib": cluster.rss_parts(),
            "server_allocator": args.allocator,
            "warm_up": warm["failure_count"] == 0,
            "rounds": [],
        }
        ok = warm["failure_count"] == 0
        for round_ in range(2, args.rounds + 2):
            outcome = await run_round(cluster, pks, round_, args.connections, args.updates)
            await asyncio.sleep(6)  # closed sockets' consumers finish (a read ignoring its cancellation: up to 5 s)
            outcome["rss_kib_after_close"] = memory = cluster.memory()
            outcome["anon_file_kib_after_close"] = cluster.rss_parts()
            if os.environ.get("DCRF_LOAD_TRIM") == "1":
                outcome["rss_kib_after_trim"] = cluster.trim()
            outcome["memory_within_10_percent"] = all(m <= b * 1.10 for m, b in zip(memory, baseline))
            ok = ok and outcome["failure_count"] == 0 and (outcome["memory_within_10_percent"] or not args.check_memory)
            report["rounds"].append(outcome)
            print(json.dumps(outcome), flush=True)
        report["ok"] = ok
        await asyncio.to_thread(cluster.command, "cleanup")
        print(json.dumps(report), flush=True)
        return 0 if ok else 1
    finally:
        cluster.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--servers", type=int, default=2, help="server processes")
    parser.add_argument("--objects", type=int, default=20)
    parser.add_argument("--updates", type=int, default=10, help="commits per object and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--allocator",
        choices=("malloc", "pymalloc"),
        default="malloc",
        help="the servers' small-object allocator: PYTHONMALLOC=malloc (default) or CPython's own",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=6.0,
        help="seconds between the last close and the memory reading",
    )
    parser.add_argument(
        "--no-memory-check", dest="check_memory", action="store_false", help="report memory, do not fail on it"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
