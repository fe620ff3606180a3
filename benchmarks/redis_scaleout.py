"""Scale-out on Redis: N server processes (default 2) on channels_redis' RedisChannelLayer, S
subscribers (default 2,000) split across them, the observed row saved U times by a third process.

Measures, per implementation, in one run: time from the first save to the last event on every
socket, events/s, server CPU per delivered event (all server processes), and Redis commands per
update (``INFO commandstats`` of a private redis-server started for the run, so nothing else counts).

    benchmarks/.venvs/ours/bin/python benchmarks/redis_scaleout.py [--servers 2] [--subscribers 2000]
        [--updates 5] [--impl ours,dcrf]

Needs ``redis-server`` on PATH and channels_redis in both benchmark venvs (venvs.py installs it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402
import run  # noqa: E402
import venvs  # noqa: E402


def redis_stats(port: int) -> dict[str, int]:
    out = subprocess.run(
        ["redis-cli", "-p", str(port), "INFO", "commandstats"], check=True, capture_output=True, text=True
    ).stdout
    calls: dict[str, int] = {}
    for line in out.splitlines():
        if line.startswith("cmdstat_"):
            name, _, rest = line.partition(":")
            calls[name[8:]] = int(rest.split(",")[0].split("=")[1])
    return calls


def diff(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


async def drive(
    impl: str, servers: list[run.Server], subscribers: int, updates: int, redis_port: int
) -> dict[str, Any]:
    sockets: list[Any] = []
    for index, server in enumerate(servers):
        share = subscribers // len(servers) + (1 if index < subscribers % len(servers) else 0)
        sockets += await loadgen.connect_many(f"{server.url}/ws/observe/", share)
    sem = asyncio.Semaphore(loadgen.CONNECT_CONCURRENCY)
    failed: set[int] = set()

    async def subscribe(i: int, ws: Any) -> None:
        async with sem:
            try:
                reply = await loadgen.call(ws, {"action": "subscribe_rows", "request_id": i}, timeout=60)
            except Exception:  # the server closed it (channels_redis timeouts under load): counted, left out
                failed.add(i)
                return
            if reply.get("response_status") != 201:
                failed.add(i)

    await asyncio.gather(*(subscribe(i, ws) for i, ws in enumerate(sockets)))
    await asyncio.sleep(1.0)
    received = [updates if i in failed else 0 for i in range(len(sockets))]
    total = 0
    last = 0.0
    done = asyncio.Event()
    expected = (len(sockets) - len(failed)) * updates

    async def reader(i: int, ws: Any) -> None:
        nonlocal total, last
        while received[i] < updates:
            try:
                reply = loadgen.loads(await ws.recv())
            except Exception:  # closed by the server during the run: its missing events count as lost
                return
            if reply.get("action") == "row_activity" and reply.get("request_id") == i:
                received[i] += 1
                total += 1
                last = time.time()
                if total == expected:
                    done.set()

    readers = [asyncio.ensure_future(reader(i, ws)) for i, ws in enumerate(sockets)]
    stats0 = redis_stats(redis_port)
    cpu0 = sum(loadgen.cpu_seconds(s.pid) for s in servers)
    updater = await asyncio.create_subprocess_exec(
        str(venvs.python(run.VENV_OF[impl])),
        str(HERE / "redis_updater.py"),
        str(updates),
        cwd=run.PROJECT,
        env=run.env_for(impl),
        stdout=asyncio.subprocess.PIPE,
    )
    first_line = await updater.stdout.readline()  # type: ignore[union-attr]
    started = float(first_line)
    while not done.is_set():
        before = total
        try:
            await asyncio.wait_for(done.wait(), 5.0)
        except asyncio.TimeoutError:
            if total == before:
                break
    await updater.wait()
    cpu = sum(loadgen.cpu_seconds(s.pid) for s in servers) - cpu0
    commands = diff(redis_stats(redis_port), stats0)
    commands.pop("info", None)
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await loadgen.close_many(sockets)
    elapsed = last - started if total else float("nan")
    rss = [loadgen.rss_kib(s.pid) for s in servers]
    return {
        "servers": len(servers),
        "subscribers": len(sockets),
        "subscribe_failures": len(failed),
        "updates": updates,
        "expected": expected,
        "received": total,
        "lost": expected - total,
        "last_delivery_s": elapsed,
        "events_per_s": total / elapsed if total and elapsed > 0 else float("nan"),
        "server_cpu_us_per_event": cpu / total * 1e6 if total else float("nan"),
        "redis_commands_per_update": sum(commands.values()) / updates,
        "redis_commands": commands,
        "server_rss_kib_after": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--updates", type=int, default=5)
    parser.add_argument("--impl", default="ours,dcrf")
    args = parser.parse_args()
    run.raise_nofile()
    loadgen.raise_nofile()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        redis_port = s.getsockname()[1]
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    os.environ["BENCH_LAYER"] = "redis"
    os.environ["BENCH_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    results: dict[str, Any] = {}
    try:
        time.sleep(0.5)
        for impl in args.impl.split(","):
            venvs.ensure(run.VENV_OF[impl])
            run.seed(impl)
            servers = [run.Server(impl) for _ in range(args.servers)]
            for index, server in enumerate(servers):
                server.log_path = run.DATA / f"server-{impl}-redis-{index}.log"
                server.__enter__()
            try:
                results[impl] = asyncio.run(drive(impl, servers, args.subscribers, args.updates, redis_port))
            finally:
                for server in servers:
                    server.__exit__()
            print(impl, json.dumps(results[impl]), file=sys.stderr, flush=True)
    finally:
        redis.terminate()
        redis.wait()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
