"""The raw ASGI echo beside ours and the floor, in one run: ``echo_seq`` and ``echo_pipe`` against
bench/raw.py (no channels), ours and the floor, interleaved; prints req/s and server CPU per request.

    python3 benchmarks/raw_echo.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run
import venvs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--impl", default="raw,ours,floor")
    args = parser.parse_args()
    run.raise_nofile()
    venvs.ensure("ours")
    results = {}
    for impl in args.impl.split(","):
        run.seed(impl)
        with run.Server(impl) as server:
            results[impl] = run.loadgen(server, args.quick, "echo_seq,echo_pipe")
    rows = []
    for scenario in ("echo_seq", "echo_pipe"):
        for key in ("req_per_s", "server_cpu_us_per_req"):
            cells = {impl: results[impl].get(scenario, {}).get(key) for impl in results}
            rows.append({"scenario": scenario, "metric": key, **cells})
    print(json.dumps({"results": results, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
