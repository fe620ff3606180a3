"""Load generator: one process, one event loop, the ``websockets`` asyncio client.

Run with the ``ours`` venv's python against a server started by run.py::

    python loadgen.py --url ws://127.0.0.1:PORT --pid SERVER_PID [--quick] [--only a,b]

It prints one JSON object: scenario name -> metrics. Server CPU is read from /proc/<pid>/stat
(utime + stime, all threads) around each timed window, server memory from /proc/<pid>/status.
Every loop is bounded in count and in time; only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import time
from typing import Any
from urllib.parse import urlparse

import orjson
import websockets

CLK_TCK = os.sysconf("SC_CLK_TCK")
CONNECT_CONCURRENCY = 50


class Timeout(Exception):
    pass


def dumps(payload: Any) -> str:
    """JSON text of a request; orjson keeps the client's own CPU per request small (same for every server)."""
    return orjson.dumps(payload).decode()


loads = orjson.loads


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime/stime are fields 14/15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def connect(url: str) -> Any:
    host = urlparse(url).hostname
    if host != "127.0.0.1":  # never anything but loopback
        raise SystemExit(f"refusing to connect to {host}")
    return await websockets.connect(url, compression=None, max_size=None, max_queue=None, open_timeout=30)


async def connect_many(url: str, count: int) -> list[Any]:
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one() -> Any:
        async with sem:
            return await connect(url)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def close_many(sockets: list[Any]) -> None:
    sem = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(ws: Any) -> None:
        async with sem:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 10)

    await asyncio.gather(*(one(ws) for ws in sockets))


def unwrapped(reply: dict[str, Any]) -> dict[str, Any]:
    """A reply without its demultiplexer envelope ``{"stream": ..., "payload": reply}``, if it has one."""
    payload = reply.get("payload")
    return payload if "stream" in reply and isinstance(payload, dict) else reply


async def call(ws: Any, payload: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    await ws.send(dumps(payload))
    return unwrapped(loads(await asyncio.wait_for(ws.recv(), timeout)))


# -- request/reply scenarios -------------------------------------------------------------------------


async def pipelined(
    url: str, make: Any, connections: int, in_flight: int, total: int, time_limit: float, pid: int, warmup: int
) -> dict[str, Any]:
    """``connections`` sockets, each keeping ``in_flight`` requests outstanding, until ``total`` replies."""
    sockets = [await connect(url) for _ in range(connections)]
    try:
        # Warm-up: a few sequential requests per socket (imports, caches, DB connection).
        for ws in sockets:
            for i in range(warmup):
                reply = await call(ws, make(-1 - i))
                if reply.get("response_status") != 200:
                    raise RuntimeError(f"bad warm-up reply: {reply}")
        per_socket = total // connections
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + time_limit

        async def drive(ws: Any) -> int:
            nonlocal errors
            sent_at: dict[int, float] = {}
            window = asyncio.Semaphore(in_flight)
            done = 0

            async def sender() -> None:
                for i in range(per_socket):
                    await window.acquire()
                    if time.perf_counter() > deadline:
                        return
                    sent_at[i] = time.perf_counter()
                    await ws.send(dumps(make(i)))

            send_task = asyncio.ensure_future(sender())
            try:
                # One timeout around the loop, not a wait_for (a task) per reply: the client's own
                # CPU per request is part of every sequential round trip.
                async with asyncio.timeout(max(0.0, deadline - time.perf_counter())):
                    while done < per_socket:
                        raw = await ws.recv()
                        now = time.perf_counter()
                        reply = unwrapped(loads(raw))
                        started = sent_at.pop(reply.get("request_id"), None)
                        if started is not None:
                            latencies.append(now - started)
                        if reply.get("response_status") != 200:
                            errors += 1
                        done += 1
                        window.release()
            except TimeoutError:
                pass
            finally:
                send_task.cancel()
            return done

        cpu0, client0, t0 = cpu_seconds(pid), own_cpu_seconds(), time.perf_counter()
        counts = await asyncio.gather(*(drive(ws) for ws in sockets))
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
        client_cpu = own_cpu_seconds() - client0
        done = sum(counts)
        return {
            "requests": done,
            "expected": per_socket * connections,
            "errors": errors,
            "seconds": elapsed,
            "req_per_s": done / elapsed if elapsed else 0.0,
            "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "server_cpu_us_per_req": cpu / done * 1e6 if done else None,
            "server_cpu_share": cpu / elapsed if elapsed else None,
            "client_cpu_us_per_req": client_cpu / done * 1e6 if done else None,
            "timed_out": done < per_socket * connections,
        }
    finally:
        await close_many(sockets)


# -- observer fan-out --------------------------------------------------------------------------------

#: Rows in the live-list scenarios' lists (bench.work.LIST_ROWS; cohort c lists up to LIST_ROWS + c).
LIST_ROWS = 100


async def fanout(base: str, kind: str, subscribers: int, bumps: int, pid: int, time_limit: float) -> dict[str, Any]:
    """Subscribe ``subscribers`` sockets, have the server save the observed row ``bumps`` times
    (one ``bump`` action on another socket), and time until every socket got every event."""
    url = f"{base}/ws/observe/"
    subscribed_status = 201
    cohorts = 1
    if kind == "instance":
        subscribe: dict[str, Any] = {"action": "subscribe_instance", "pk": 1}
        event_action = "update"
    elif kind.startswith("list"):
        # Live lists (ours only): subscribe_list of 100+ rows; kind "listN" spreads the sockets over
        # N cohorts (different max_pk), "list" keeps them in one.
        cohorts = int(kind[4:] or 1)
        subscribe = {"action": "subscribe_list"}
        event_action = "update"
        subscribed_status = 200
    else:
        subscribe = {"action": "subscribe_rows"}
        event_action = "row_activity"
    trigger = await connect(url)
    if kind.startswith("list"):
        url = f"{base}/ws/live/"
    sockets = await connect_many(url, subscribers)
    try:
        sem = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def sub(i: int, ws: Any) -> None:
            async with sem:
                extra = {"max_pk": LIST_ROWS + i % cohorts} if kind.startswith("list") else {}
                reply = await call(ws, {**subscribe, **extra, "request_id": i})
                if reply.get("response_status") != subscribed_status:
                    raise RuntimeError(f"subscribe failed: {str(reply)[:300]}")

        await asyncio.gather(*(sub(i, ws) for i, ws in enumerate(sockets)))
        await asyncio.sleep(0.5)

        received = [0] * subscribers
        wrong = 0
        last_event = 0.0
        finished = asyncio.Event()
        total_expected = subscribers * bumps
        total_received = 0

        async def reader(i: int, ws: Any) -> None:
            nonlocal wrong, last_event, total_received
            while received[i] < bumps:
                reply = loads(await ws.recv())
                if reply.get("action") == event_action and reply.get("request_id") == i:
                    received[i] += 1
                    total_received += 1
                    last_event = time.perf_counter()
                    if total_received == total_expected:
                        finished.set()
                else:
                    wrong += 1

        readers = [asyncio.ensure_future(reader(i, ws)) for i, ws in enumerate(sockets)]
        cpu0, client0, t0 = cpu_seconds(pid), own_cpu_seconds(), time.perf_counter()
        await trigger.send(dumps({"action": "bump", "n": bumps, "request_id": "bump"}))
        bump_reply = loads(await asyncio.wait_for(trigger.recv(), time_limit))
        bump_done = time.perf_counter() - t0
        # Wait for the last event; stop early once nothing new arrived for a while after the bump.
        while not finished.is_set():
            before = total_received
            try:
                await asyncio.wait_for(finished.wait(), 3.0)
            except asyncio.TimeoutError:
                if total_received == before or time.perf_counter() - t0 > time_limit:
                    break
        cpu = cpu_seconds(pid) - cpu0
        client_cpu = own_cpu_seconds() - client0
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        elapsed = (last_event - t0) if total_received else float("nan")
        return {
            "subscribers": subscribers,
            "bumps": bumps,
            "expected": total_expected,
            "received": total_received,
            "lost": total_expected - total_received,
            "unexpected_messages": wrong,
            "bump_reply_status": bump_reply.get("response_status"),
            "bump_reply_s": bump_done,
            "last_delivery_s": elapsed,
            "events_per_s": total_received / elapsed if total_received and elapsed else 0.0,
            "server_cpu_us_per_event": cpu / total_received * 1e6 if total_received else None,
            "client_cpu_us_per_event": client_cpu / total_received * 1e6 if total_received else None,
        }
    finally:
        await close_many(sockets)
        await close_many([trigger])


# -- memory ------------------------------------------------------------------------------------------


async def memory(base: str, connections: int, pid: int) -> dict[str, Any]:
    url = f"{base}/ws/echo/"
    warm = await connect_many(url, 10)
    for ws in warm:
        await call(ws, {"action": "echo", "message": "warm", "request_id": 0})
    await close_many(warm)
    await asyncio.sleep(0.5)
    before = rss_kib(pid)
    sockets = await connect_many(url, connections)
    try:
        await asyncio.sleep(1.0)
        after = rss_kib(pid)
    finally:
        await close_many(sockets)
    return {
        "connections": connections,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_connection": (after - before) / connections,
    }


# -- driver ------------------------------------------------------------------------------------------

FULL = {
    "memory_connections": 1000,
    "echo_seq": 3000,
    "echo_pipe": 15000,
    "retrieve": 2000,
    "list": 500,
    "fanout": [(100, 10), (1000, 3)],
}
QUICK = {
    "memory_connections": 1000,
    "echo_seq": 1000,
    "echo_pipe": 8000,
    "retrieve": 1000,
    "list": 200,
    "fanout": [(100, 10), (1000, 2)],
}


def echo(i: int) -> dict[str, Any]:
    return {"action": "echo", "message": "hello", "request_id": i}


def echo_in_stream(i: int) -> dict[str, Any]:
    return {"stream": "echo", "payload": echo(i)}


def retrieve(i: int) -> dict[str, Any]:
    return {"action": "retrieve", "pk": 1 + (i % 100 if i >= 0 else 0), "request_id": i}


def list_rows(i: int) -> dict[str, Any]:
    return {"action": "list", "request_id": i}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    base = args.url.rstrip("/")
    plan = QUICK if args.quick else FULL
    only = set(args.only.split(",")) if args.only else None
    results: dict[str, Any] = {}

    def wanted(name: str) -> bool:
        return only is None or name in only or name.split(":")[0] in only

    probe = await connect(f"{base}/ws/echo/")
    caps = (await call(probe, {"action": "capabilities", "request_id": 0}))["data"]
    await probe.close()
    results["capabilities"] = caps
    results["loadavg_at_start"] = {"load1": os.getloadavg()[0]}

    async def run(name: str, coro: Any) -> None:
        if not wanted(name):
            coro.close()
            return
        try:
            results[name] = await coro
        except Exception as exc:  # a failing scenario must not sink the others
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"  {name}: {json.dumps(results[name])[:200]}", file=sys.stderr, flush=True)

    # Memory first, on a fresh server, before other scenarios grow (and free) the heap.
    await run("memory", memory(base, plan["memory_connections"], args.pid))
    await run("echo_seq", pipelined(f"{base}/ws/echo/", echo, 1, 1, plan["echo_seq"], 30, args.pid, 50))
    await run("echo_pipe", pipelined(f"{base}/ws/echo/", echo, 4, 100, plan["echo_pipe"], 30, args.pid, 50))
    muxed = (("echo_mux_seq", 1, 1, "echo_seq"), ("echo_mux_pipe", 4, 100, "echo_pipe"))
    for name, connections, in_flight, count in muxed:
        if not caps.get("multiplexing"):
            if wanted(name):
                results[name] = {"skipped": "no demultiplexer in this implementation"}
            continue
        url = f"{base}/ws/mux/"
        await run(name, pipelined(url, echo_in_stream, connections, in_flight, plan[count], 30, args.pid, 50))
    await run("retrieve", pipelined(f"{base}/ws/rows/", retrieve, 4, 10, plan["retrieve"], 30, args.pid, 20))
    await run("list", pipelined(f"{base}/ws/rows/", list_rows, 4, 10, plan["list"], 30, args.pid, 5))
    for kind in ("instance", "model"):
        for subscribers, bumps in plan["fanout"]:
            name = f"fanout_{kind}_{subscribers}"
            if not caps.get("observer"):
                if wanted(name):
                    results[name] = {"skipped": caps.get("reason") or "observer not available"}
                continue
            await run(name, fanout(base, kind, subscribers, bumps, args.pid, 60))
    for kind in ("list", "list10"):
        for subscribers, bumps in plan["fanout"]:
            name = f"fanout_{kind}_{subscribers}"
            if not caps.get("live_lists"):
                if wanted(name):
                    results[name] = {"skipped": caps.get("live_lists_reason") or "live lists not available"}
                continue
            await run(name, fanout(base, kind, subscribers, bumps, args.pid, 60))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    ns = parser.parse_args()
    raise_nofile()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(main(ns))))
