"""W1 on CPython: make N instances of a class in a list, then drop the list.

Usage:
  python3 w1.py --n 100000 --rounds 10 --warmup 1   # timings (one repetition), JSON on stdout
  python3 w1.py --sizes                             # bytes per instance, JSON on stdout

src/bench/run-w1.ts starts this once per repetition, so CPython's samples are interleaved in time
with the JavaScript variants'. Times are sums over the rounds, in nanoseconds of the process's CPU
time (time.process_time_ns: the machine may be shared, and other load does not count).
"""

import argparse
import gc
import json
import platform
import sys
import time
import tracemalloc


class Plain:
    pass


class Slots:
    __slots__ = ("other",)


# Same shapes as the JavaScript side: Plain ~ an empty class, Slots ~ one reference field left
# unset (NULL, like refheap's null slot), object() ~ the smallest object CPython has.
VARIANTS = {"plain class": Plain, "__slots__ class": Slots, "object()": object}


def build(cls, n):
    # A list comprehension: the idiomatic spelling; the list grows by appends, as refheap's does.
    return [cls() for _ in range(n)]


def one_round(cls, n):
    t0 = time.process_time_ns()
    lst = build(cls, n)
    t1 = time.process_time_ns()
    del lst  # the last reference: list_dealloc releases the items, last to first
    t2 = time.process_time_ns()
    return t1 - t0, t2 - t1


def timings(n, rounds, warmup):
    # Cycle collection off: W1 measures refcounting + pymalloc, which is all refheap does here.
    # With it on, gen-0 collections every 700 allocations would walk the (all live) new objects.
    gc.collect()
    gc.disable()
    for cls in VARIANTS.values():
        for _ in range(warmup):
            one_round(cls, n)
    totals = {name: [0, 0] for name in VARIANTS}
    # Round-robin inside the process too, so drift affects every variant alike.
    for _ in range(rounds):
        for name, cls in VARIANTS.items():
            b, d = one_round(cls, n)
            totals[name][0] += b
            totals[name][1] += d
    gc.enable()
    return [{"name": k, "buildNs": v[0], "dropNs": v[1]} for k, v in totals.items()]


def traced_bytes_per_instance(cls, n=10000):
    # tracemalloc counts every allocation the instance makes (3.11's plain instances also get a
    # separate values array, which sys.getsizeof does not include). Requested sizes, not blocks.
    lst = [None] * n
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(n):
        lst[i] = cls()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / n


def pymalloc_block(size):
    # pymalloc rounds requests up to ALIGNMENT (16 bytes on 64-bit since 3.8); over 512 it
    # falls through to malloc.
    return (size + 15) // 16 * 16 if size <= 512 else None


def sizes():
    out = []
    for name, cls in VARIANTS.items():
        s = sys.getsizeof(cls())
        out.append(
            {
                "name": name,
                "getsizeof": s,
                "block": pymalloc_block(s),
                "tracedBytes": round(traced_bytes_per_instance(cls), 1),
            }
        )
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--sizes", action="store_true")
    a = p.parse_args()
    result = {
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
    }
    if a.sizes:
        result["sizes"] = sizes()
    else:
        result.update(n=a.n, rounds=a.rounds, variants=timings(a.n, a.rounds, a.warmup))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
