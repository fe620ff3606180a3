"""Per-call cost of typed action parameters and lookup validation, measured in-process.

    .venv/bin/python benchmarks/typed_overhead.py

The socket benchmarks (run.py) move by ±10-25 % with the machine's load; this isolates the work
typed parameters add to one message: binding ``{"message": "hello"}`` to ``echo(message: Any)`` versus
``echo(message: str | None)``, and checking a pk against the model's integer field.
"""

from __future__ import annotations

import sys
import time
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inproc import Typed, Untyped  # sets Django up: before anything needing its settings

# isort: split
from django.contrib.auth.models import User

from djangochannelsrestframework._engine.converters import lookup_converter


def per_call_us(statement: Any, number: int = 100_000) -> float:
    """Least CPU time of 3 batches, per call (CPU time: being descheduled on a busy machine does not count)."""
    return min(timeit.repeat(statement, number=number, repeat=3, timer=time.process_time)) / number * 1e6


def interleaved(first: Any, second: Any, rounds: int = 7) -> tuple[float, float]:
    """Best per-call time of each, measured alternately so load changes hit both alike."""
    a, b = [], []
    for _ in range(rounds):
        a.append(per_call_us(first))
        b.append(per_call_us(second))
    return min(a), min(b)


def main() -> None:
    untyped, typed = Untyped(), Typed()
    untyped_echo, typed_echo = untyped.echo, typed.echo
    message = {"message": "hello"}
    bind_untyped, bind_typed = interleaved(
        lambda: untyped.bind_action_arguments(untyped_echo, "echo", 1, message),
        lambda: typed.bind_action_arguments(typed_echo, "echo", 1, message),
    )
    convert_pk = lookup_converter(User, "pk")
    assert convert_pk is not None
    pk = per_call_us(lambda: convert_pk(17, None))
    print(f"bind echo, untyped (message: Any):        {bind_untyped:.2f} us")
    print(f"bind echo, typed (message: str | None):   {bind_typed:.2f} us  (+{bind_typed - bind_untyped:.2f} us)")
    print(f"validate an integer pk (retrieve):        {pk:.2f} us")


if __name__ == "__main__":
    main()
