"""ORM overhead of observers, inside one implementation's environment (run with that venv's python).

Imports the benchmark consumers so the implementation's observers are connected, then times loading
every row of the observed model and of an identical unobserved one (median of 5, alternating), and
``save()`` of one row of each. Prints JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "benchproject"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")

import django  # noqa: E402

django.setup()

from bench import consumers  # noqa: E402  (connects the observers)
from bench.models import PlainRow, Row  # noqa: E402

REPEATS = 5
SAVES = 200


def load(model: type) -> float:
    started = time.perf_counter()
    rows = list(model.objects.all())
    elapsed = time.perf_counter() - started
    assert len(rows) == 20_000, len(rows)
    return elapsed


def saves(model: type) -> float:
    row = model.objects.get(pk=2)
    started = time.perf_counter()
    for _ in range(SAVES):
        row.save()
    return (time.perf_counter() - started) / SAVES


def main() -> None:
    load(Row), load(PlainRow)  # warm caches and the connection
    observed, plain = [], []
    for _ in range(REPEATS):
        observed.append(load(Row))
        plain.append(load(PlainRow))
    saves(Row), saves(PlainRow)
    save_observed, save_plain = [], []
    for _ in range(3):
        save_observed.append(saves(Row))
        save_plain.append(saves(PlainRow))
    result = {
        "observer": consumers.HAVE_OBSERVER,
        "reason": consumers.OBSERVER_MISSING,
        "load_observed_ms": statistics.median(observed) * 1000,
        "load_unobserved_ms": statistics.median(plain) * 1000,
        "save_observed_us": statistics.median(save_observed) * 1e6,
        "save_unobserved_us": statistics.median(save_plain) * 1e6,
    }
    result["load_ratio"] = result["load_observed_ms"] / result["load_unobserved_ms"]
    result["save_ratio"] = result["save_observed_us"] / result["save_unobserved_us"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
