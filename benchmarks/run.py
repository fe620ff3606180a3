#!/usr/bin/env python3
"""Benchmark suite: ours vs DCRF 1.3.0 vs a hand-written channels floor.

    python3 benchmarks/run.py            # full: median of 3 runs (~10 minutes)
    python3 benchmarks/run.py --quick    # 1 run, smaller counts
    python3 benchmarks/run.py --profile ours   # py-spy profile of the server during the echo scenario
    python3 benchmarks/run.py --report         # reprint the table from results/latest.json

Creates benchmarks/.venvs/{ours,dcrf} on first use, seeds one SQLite file per implementation,
starts each server under uvicorn in its own process and drives it from loadgen.py in another.
Prints one table and writes benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import venvs  # noqa: E402

PROJECT = HERE / "benchproject"
DATA = HERE / ".data"
RESULTS = HERE / "results"
#: ours; DCRF 1.3 from PyPI; the plain channels floor; the lean floor (the floor without channels'
#: per-message thread hop, PERFORMANCE.md); ours with typed parameters off (issue 11's A/B).
IMPLS = ["ours", "dcrf", "floor", "lean", "untyped"]
LABELS = {
    "ours": "ours",
    "dcrf": "DCRF 1.3.0",
    "floor": "floor",
    "lean": "lean floor",
    "untyped": "ours untyped",
    "raw": "raw ASGI",
}
VENV_OF = {"ours": "ours", "dcrf": "dcrf", "floor": "ours", "lean": "ours", "untyped": "ours", "raw": "ours"}
#: Implementations without the framework's ORM hooks (or with the same ones as ours): no ORM benchmark.
NO_ORM = {"floor", "lean", "untyped"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # inherited by servers and loadgen


def env_for(impl: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BENCH_DB=str(DATA / f"{impl}.sqlite3"),
        BENCH_IMPL=impl,
        DJANGO_SETTINGS_MODULE="benchproject.settings",
        PYTHONPATH=str(PROJECT),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def seed(impl: str) -> None:
    DATA.mkdir(exist_ok=True)
    subprocess.run(
        [str(venvs.python(VENV_OF[impl])), str(PROJECT / "seed.py")], env=env_for(impl), check=True, capture_output=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One uvicorn process serving one implementation on 127.0.0.1."""

    def __init__(self, impl: str) -> None:
        self.impl = impl
        self.port = free_port()
        self.log_path = DATA / f"server-{impl}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        cmd = [
            str(venvs.python(VENV_OF[self.impl])),
            "-m",
            "uvicorn",
            "benchproject.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, cwd=PROJECT, env=env_for(self.impl), stdout=self.log_file, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.impl} server exited; see {self.log_path}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.impl} server did not start; see {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


def loadgen(server: Server, quick: bool, only: str = "") -> dict[str, Any]:
    cmd = [str(venvs.python("ours")), str(HERE / "loadgen.py"), "--url", server.url, "--pid", str(server.pid)]
    if quick:
        cmd.append("--quick")
    if only:
        cmd += ["--only", only]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, timeout=600)
    return json.loads(out.stdout)


def orm(impl: str) -> dict[str, Any]:
    out = subprocess.run(
        [str(venvs.python(VENV_OF[impl])), str(HERE / "orm_bench.py")],
        env=env_for(impl),
        check=True,
        stdout=subprocess.PIPE,
        timeout=300,
    )
    return json.loads(out.stdout)


# -- aggregation -------------------------------------------------------------------------------------


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median per numeric metric across runs; skipped/error entries pass through from the first run."""
    merged: dict[str, Any] = {}
    for name in runs[0]:
        values = [run.get(name) for run in runs]
        dicts = [v for v in values if isinstance(v, dict) and "error" not in v and "skipped" not in v]
        if not dicts:
            merged[name] = values[0]
            continue
        out: dict[str, Any] = {}
        for key in dicts[0]:
            numbers = [d.get(key) for d in dicts]
            if all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
                out[key] = statistics.median(numbers)
            else:
                out[key] = numbers[0]
        out["runs"] = len(dicts)
        merged[name] = out
    return merged


# (row label, scenario, metric, format, higher is better)
ROWS: list[tuple[str, str, str, str, bool]] = [
    ("echo, 1 in flight: req/s", "echo_seq", "req_per_s", "{:,.0f}", True),
    ("echo, 1 in flight: p50 ms", "echo_seq", "p50_ms", "{:.3f}", False),
    ("echo, 1 in flight: p99 ms", "echo_seq", "p99_ms", "{:.3f}", False),
    ("echo, 1 in flight: server CPU us/req", "echo_seq", "server_cpu_us_per_req", "{:,.0f}", False),
    ("echo, 4 conns x 100 in flight: req/s", "echo_pipe", "req_per_s", "{:,.0f}", True),
    ("echo, 4x100: p50 ms", "echo_pipe", "p50_ms", "{:.2f}", False),
    ("echo, 4x100: p99 ms", "echo_pipe", "p99_ms", "{:.2f}", False),
    ("echo, 4x100: server CPU us/req", "echo_pipe", "server_cpu_us_per_req", "{:,.0f}", False),
    ("echo via demux, 1 in flight: req/s", "echo_mux_seq", "req_per_s", "{:,.0f}", True),
    ("echo via demux, 1 in flight: server CPU us/req", "echo_mux_seq", "server_cpu_us_per_req", "{:,.0f}", False),
    ("echo via demux, 4x100: req/s", "echo_mux_pipe", "req_per_s", "{:,.0f}", True),
    ("echo via demux, 4x100: server CPU us/req", "echo_mux_pipe", "server_cpu_us_per_req", "{:,.0f}", False),
    ("retrieve (4x10): req/s", "retrieve", "req_per_s", "{:,.0f}", True),
    ("retrieve: server CPU us/req", "retrieve", "server_cpu_us_per_req", "{:,.0f}", False),
    ("list 100 rows (4x10): req/s", "list", "req_per_s", "{:,.0f}", True),
    ("list 100 rows: server CPU us/req", "list", "server_cpu_us_per_req", "{:,.0f}", False),
]
for _kind, _label in (
    ("instance", "instance subs"),
    ("model", "model observer"),
    ("list", "live list, 1 cohort,"),
    ("list10", "live list, 10 cohorts,"),
):
    for _n in (100, 1000):
        _s = f"fanout_{_kind}_{_n}"
        ROWS += [
            (f"{_label} x{_n}: save burst -> last delivery ms", _s, "last_delivery_ms", "{:,.0f}", False),
            (f"{_label} x{_n}: events/s", _s, "events_per_s", "{:,.0f}", True),
            (f"{_label} x{_n}: events lost", _s, "lost", "{:.0f}", False),
            (f"{_label} x{_n}: server CPU us/event", _s, "server_cpu_us_per_event", "{:,.0f}", False),
        ]
ROWS += [
    ("ORM: load 20k observed rows ms", "orm", "load_observed_ms", "{:,.0f}", False),
    ("ORM: load 20k unobserved rows ms", "orm", "load_unobserved_ms", "{:,.0f}", False),
    ("ORM: observed / unobserved load", "orm", "load_ratio", "{:.2f}", False),
    ("ORM: save() observed, no subscriber us", "orm", "save_observed_us", "{:,.0f}", False),
    ("ORM: save() unobserved us", "orm", "save_unobserved_us", "{:,.0f}", False),
    ("ORM: observed / unobserved save", "orm", "save_ratio", "{:.2f}", False),
    ("memory: RSS KiB per idle connection (1,000)", "memory", "kib_per_connection", "{:.1f}", False),
]


def metric(results: dict[str, Any], impl: str, scenario: str, key: str) -> tuple[float | None, str]:
    """(value, reason-if-missing)."""
    entry = results.get(impl, {}).get(scenario)
    if entry is None:
        return None, "not run"
    if "skipped" in entry:
        return None, f"skipped: {entry['skipped']}"
    if "error" in entry:
        return None, f"error: {entry['error']}"
    if key == "last_delivery_ms":
        value = entry.get("last_delivery_s")
        value = None if value is None else value * 1000
    else:
        value = entry.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, "no value"
    return float(value), ""


def fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets (plus PERFORMANCE.md's write target), each with pass/fail/n-a."""
    out: list[dict[str, Any]] = []

    def add(name: str, ok: bool | None, detail: str) -> None:
        out.append({"target": name, "result": "n/a" if ok is None else ("PASS" if ok else "FAIL"), "detail": detail})

    def get(impl: str, scenario: str, key: str) -> float | None:
        return metric(results, impl, scenario, key)[0]

    def cpu_note(scenario: str, other: str) -> str:
        # Throughput moves with machine load; server CPU per request is the steadier cross-check.
        mine, theirs = get("ours", scenario, "server_cpu_us_per_req"), get(other, scenario, "server_cpu_us_per_req")
        return f"{ratio(theirs, mine)} by server CPU/req"

    for scenario, label in (("echo_seq", "echo 1 in flight"), ("echo_pipe", "echo 4x100")):
        o, d, f = (get(i, scenario, "req_per_s") for i in ("ours", "dcrf", "floor"))
        add(
            f"{label}: ours >= 2.0x DCRF req/s",
            None if o is None or d is None else o >= 2.0 * d,
            f"{ratio(o, d)} ({cpu_note(scenario, 'dcrf')})",
        )
        add(
            f"{label}: ours >= 0.85x floor req/s",
            None if o is None or f is None else o >= 0.85 * f,
            f"{ratio(o, f)} ({cpu_note(scenario, 'floor')})",
        )
    for scenario, direct, label in (
        ("echo_mux_seq", "echo_seq", "echo 1 in flight"),
        ("echo_mux_pipe", "echo_pipe", "echo 4x100"),
    ):
        m, o = get("ours", scenario, "server_cpu_us_per_req"), get("ours", direct, "server_cpu_us_per_req")
        add(
            f"{label} via demultiplexer: server CPU/req <= 1.15x direct",
            None if m is None or o is None else m <= 1.15 * o,
            f"{ratio(m, o)} ({fmt(m, '{:,.0f}')} vs {fmt(o, '{:,.0f}')} us/req)",
        )
    for scenario in ("retrieve", "list"):
        o, d = get("ours", scenario, "req_per_s"), get("dcrf", scenario, "req_per_s")
        add(
            f"{scenario}: ours >= 1.5x DCRF req/s",
            None if o is None or d is None else o >= 1.5 * d,
            f"{ratio(o, d)} ({cpu_note(scenario, 'dcrf')})",
        )
    for kind in ("instance", "model"):
        scenario = f"fanout_{kind}_1000"
        o, d = get("ours", scenario, "last_delivery_ms"), get("dcrf", scenario, "last_delivery_ms")
        lost = get("ours", scenario, "lost")
        add(
            f"fan-out {kind} x1000: ours last delivery <= 1/3 DCRF",
            None if o is None or d is None else o <= d / 3,
            ratio(o, d),
        )
        add(f"fan-out {kind} x1000: ours loses 0 events", None if lost is None else lost == 0, fmt(lost, "{:.0f} lost"))
    r = get("ours", "orm", "load_ratio")
    add("ORM: ours observed load <= 1.05x unobserved", None if r is None else r <= 1.05, fmt(r, "{:.2f}x"))
    r = get("ours", "orm", "save_ratio")
    add(
        "ORM: ours observed save <= 1.5x unobserved (PERFORMANCE.md)",
        None if r is None else r <= 1.5,
        fmt(r, "{:.2f}x"),
    )
    # Issue 16 (performance II).
    for kind in ("instance", "model"):
        for n in (100, 1000):
            us = get("ours", f"fanout_{kind}_{n}", "server_cpu_us_per_event")
            add(
                f"fan-out {kind} x{n}: <= 80 us server CPU per delivered event",
                None if us is None else us <= 80,
                fmt(us, "{:,.0f} us"),
            )
        o, d = (
            get("ours", f"fanout_{kind}_1000", "last_delivery_ms"),
            get("dcrf", f"fanout_{kind}_1000", "last_delivery_ms"),
        )
        add(
            f"fan-out {kind} x1000: ours last delivery <= 1/5 DCRF",
            None if o is None or d is None else o <= d / 5,
            ratio(o, d),
        )
    for scenario, factor in (("retrieve", 1.25), ("list", 1.5)):
        o, lf = get("ours", scenario, "req_per_s"), get("lean", scenario, "req_per_s")
        mine, lean = get("ours", scenario, "server_cpu_us_per_req"), get("lean", scenario, "server_cpu_us_per_req")
        add(
            f"{scenario}: ours >= {factor}x the lean floor req/s",
            None if o is None or lf is None else o >= factor * lf,
            f"{ratio(o, lf)} ({ratio(lean, mine)} by server CPU/req)",
        )
    for scenario, label in (("echo_seq", "echo 1 in flight"), ("echo_pipe", "echo 4x100")):
        o, lf = get("ours", scenario, "req_per_s"), get("lean", scenario, "req_per_s")
        mine, lean = get("ours", scenario, "server_cpu_us_per_req"), get("lean", scenario, "server_cpu_us_per_req")
        add(
            f"{label}: ours >= 0.9x the lean floor req/s",
            None if o is None or lf is None else o >= 0.9 * lf,
            f"{ratio(o, lf)} ({ratio(lean, mine)} by server CPU/req)",
        )
    # Issue 11: typed parameters on (ours) vs off (untyped), each against DCRF in the same run.
    for scenario, label in (("echo_seq", "echo 1 in flight"), ("echo_pipe", "echo 4x100"), ("retrieve", "retrieve")):
        o, u, d = (get(i, scenario, "req_per_s") for i in ("ours", "untyped", "dcrf"))
        mine, plain = get("ours", scenario, "server_cpu_us_per_req"), get("untyped", scenario, "server_cpu_us_per_req")
        add(
            f"{label}: typed parameters cost <= 5 % of the ours/DCRF ratio",
            None if o is None or u is None or d is None else o / d >= 0.95 * (u / d),
            f"typed {ratio(o, d)} vs untyped {ratio(u, d)} of DCRF req/s; "
            f"server CPU/req typed/untyped {ratio(mine, plain)}",
        )
    o, d = get("ours", "memory", "kib_per_connection"), get("dcrf", "memory", "kib_per_connection")
    add(
        "memory: ours KiB/idle connection <= DCRF's",
        None if o is None or d is None else o <= d,
        f"{ratio(o, d)} ({fmt(o, '{:.2f}')} vs {fmt(d, '{:.2f}')} KiB)",
    )
    return out


def table(results: dict[str, Any]) -> str:
    impls = [i for i in IMPLS if i in results]
    others = [i for i in impls if i != "ours"]
    header = ["scenario"] + [LABELS[i] for i in impls] + [f"ours/{LABELS[i]}" for i in others if "ours" in impls]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    notes: dict[str, str] = {}
    for label, scenario, key, pattern, _higher in ROWS:
        values = {}
        for impl in impls:
            value, reason = metric(results, impl, scenario, key)
            values[impl] = value
            if value is None and reason and reason != "not run" and not (impl in NO_ORM and scenario == "orm"):
                notes.setdefault(f"{LABELS[impl]} / {scenario}", reason)
        if all(v is None for v in values.values()):
            continue
        cells = [label] + [fmt(values[i], pattern) for i in impls]
        if "ours" in impls:
            cells += [ratio(values["ours"], values[i]) for i in others]
        lines.append("| " + " | ".join(cells) + " |")
    if notes:
        lines.append("")
        lines += [f"n/a — {where}: {why}" for where, why in notes.items()]
    return "\n".join(lines)


def targets_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| target | result | measured |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['result']} | {t['detail']} |" for t in rows]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "loadavg_at_start": os.getloadavg(),
        "layer": os.environ.get("BENCH_LAYER", "sweeping"),
        # --impl ours never creates the dcrf venv: report the venvs that exist.
        "versions": {name: venvs.versions(name) for name in ("ours", "dcrf") if venvs.python(name).exists()},
    }


# -- profiling ---------------------------------------------------------------------------------------


def profile(impl: str, quick: bool, only: str = "") -> None:
    """Record the server with py-spy (only the thread holding the GIL, i.e. Python CPU time) during
    the echo scenarios (or ``only``'s); print the top frames and save them to
    results/profile-<impl>[-<only>]-top.txt."""
    raise_nofile()
    venvs.ensure("ours")
    venvs.ensure(VENV_OF[impl])
    seed(impl)
    RESULTS.mkdir(exist_ok=True)
    suffix = f"-{only.replace(',', '+')}" if only else ""
    out = RESULTS / f"profile-{impl}{suffix}.txt"
    py_spy = venvs.VENVS / "ours" / "bin" / "py-spy"
    with Server(impl) as server:
        spy = subprocess.Popen(
            [
                str(py_spy),
                "record",
                "--pid",
                str(server.pid),
                "--format",
                "raw",
                "--output",
                str(out),
                "--rate",
                "250",
                "--gil",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)
        result = loadgen(server, quick, only=only or "echo_seq,echo_pipe")
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    log(json.dumps(result))
    summary = summarize_profile(out)
    (RESULTS / f"profile-{impl}{suffix}-top.txt").write_text(summary + "\n")
    print(summary)


def summarize_profile(path: Path, top: int = 25) -> str:
    """Self and inclusive sample shares per frame from py-spy's collapsed-stack output."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
    lines = [f"py-spy: {total} samples from {path.name}", "", "top self (leaf) frames:"]
    for frame, count in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {100 * count / total:5.1f}%  {frame}")
    lines += ["", "top inclusive frames:"]
    for frame, count in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {100 * count / total:5.1f}%  {frame}")
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one run with smaller counts")
    parser.add_argument("--runs", type=int, default=None, help="runs per implementation (default 3, quick 1)")
    parser.add_argument("--impl", default=",".join(IMPLS), help="comma-separated subset of " + ",".join(IMPLS))
    parser.add_argument("--only", default="", help="comma-separated loadgen scenarios (e.g. echo_seq,fanout)")
    parser.add_argument("--profile", choices=IMPLS, help="py-spy the server during echo (or --only) instead")
    parser.add_argument("--report", action="store_true", help="reprint the table from results/latest.json")
    parser.add_argument(
        "--layer",
        choices=("sweeping", "stock"),
        default="sweeping",
        help="channel layer of every server: InMemoryChannelLayer sweeping once a second (default) or as shipped",
    )
    args = parser.parse_args()
    os.environ["BENCH_LAYER"] = args.layer  # servers and orm_bench inherit it
    if args.report:
        payload = json.loads((RESULTS / "latest.json").read_text())
        print(f"{payload['meta']['date']} — {payload['meta']['mode']}, {payload['meta']['runs']} run(s)\n")
        print(table(payload["results"]))
        print()
        print(targets_table(targets(payload["results"])))
        return
    if args.profile:
        profile(args.profile, args.quick, args.only)
        return
    runs = args.runs or (1 if args.quick else 3)
    impls = [i for i in args.impl.split(",") if i]
    raise_nofile()
    started = time.monotonic()
    for name in sorted({VENV_OF[i] for i in impls} | {"ours"}):
        venvs.ensure(name)
    for impl in impls:
        seed(impl)
    meta = machine()
    meta.update(mode="quick" if args.quick else "full", runs=runs)
    raw: dict[str, list[dict[str, Any]]] = {impl: [] for impl in impls}
    for run in range(runs):
        # Interleaved, so drift on a shared machine hits every implementation alike, and in reverse order
        # every other run, so no implementation always runs first (or right after the ORM benchmark).
        for impl in impls if run % 2 == 0 else impls[::-1]:
            log(f"[run {run + 1}/{runs}] {LABELS[impl]}")
            with Server(impl) as server:
                result = loadgen(server, args.quick, args.only)
            if impl not in NO_ORM and (not args.only or "orm" in args.only.split(",")):
                try:
                    result["orm"] = orm(impl)
                except subprocess.SubprocessError as exc:
                    result["orm"] = {"error": str(exc)}
                log(f"  orm: {json.dumps(result['orm'])}")
            raw[impl].append(result)
    results = {impl: median_of(raw[impl]) for impl in impls}
    target_rows = targets(results)
    meta["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    payload = {"meta": meta, "results": results, "targets": target_rows, "raw": raw}
    (RESULTS / "latest.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    versions = meta["versions"]["ours"]
    print(
        f"\n{meta['date']} — {meta['mode']} ({runs} run(s), median), nproc {meta['nproc']}, "
        f"Python {versions['python']}, Django {versions['Django']}, channels {versions['channels']}, "
        f"DRF {versions['djangorestframework']}, uvicorn {versions['uvicorn']}, websockets {versions['websockets']}; "
        f"ours {versions.get('djangochannelsrestframework')} vs DCRF "
        f"{meta['versions'].get('dcrf', {}).get('djangochannelsrestframework')}; layer {meta['layer']}; "
        f"load average at start {meta['loadavg_at_start'][0]:.2f}; took {meta['seconds']} s\n"
    )
    print(table(results))
    print()
    print(targets_table(target_rows))
    print(f"\nwrote {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
