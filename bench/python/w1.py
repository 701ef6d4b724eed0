"""W1 on CPython: make N instances of a class in a list, then drop the list.

Usage:
  python3 w1.py --n 100000 --rounds 10 --warmup 1 --gc-threshold 700,10,10
                                                    # timings (one repetition), JSON on stdout
  python3 w1.py --sizes                             # bytes per instance, JSON on stdout

Every variant runs with automatic collection off (gc.disable()), and the "gc on" ones again with
it on (gc.enable(), at --gc-threshold: CPython's default, 700,10,10, unless told otherwise).

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
# The same builds with automatic collection on: a generation-0 collection every 700 net
# allocations walks the young objects (all of them alive here, in the list).
GC_ON_VARIANTS = {"plain class (gc on)": Plain, "__slots__ class (gc on)": Slots}


def build(cls, n):
    # A list comprehension: the idiomatic spelling; the list grows by appends, as refheap's does.
    return [cls() for _ in range(n)]


def one_round(cls, n, gc_on):
    if gc_on:
        gc.enable()
    t0 = time.process_time_ns()
    lst = build(cls, n)
    t1 = time.process_time_ns()
    del lst  # the last reference: list_dealloc releases the items, last to first
    t2 = time.process_time_ns()
    if gc_on:
        gc.disable()
    return t1 - t0, t2 - t1


def timings(n, rounds, warmup, threshold):
    # Cycle collection off: W1 measures refcounting + pymalloc, which is all refheap does here.
    # The "gc on" variants turn it on for their rounds only, at `threshold`.
    gc.collect()
    gc.set_threshold(*threshold)
    gc.disable()
    variants = [(name, cls, False) for name, cls in VARIANTS.items()]
    variants += [(name, cls, True) for name, cls in GC_ON_VARIANTS.items()]
    for _, cls, gc_on in variants:
        for _ in range(warmup):
            one_round(cls, n, gc_on)
    totals = {name: [0, 0] for name, _, _ in variants}
    # Round-robin inside the process too, so drift affects every variant alike.
    for _ in range(rounds):
        for name, cls, gc_on in variants:
            b, d = one_round(cls, n, gc_on)
            totals[name][0] += b
            totals[name][1] += d
    gc.enable()
    return [
        {"name": name, "gc": gc_on, "buildNs": totals[name][0], "dropNs": totals[name][1]}
        for name, _, gc_on in variants
    ]


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
    p.add_argument("--gc-threshold", default="700,10,10", help="the gc on variants' thresholds")
    p.add_argument("--sizes", action="store_true")
    a = p.parse_args()
    threshold = tuple(int(t) for t in a.gc_threshold.split(","))
    result = {
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
    }
    if a.sizes:
        result["sizes"] = sizes()
    else:
        variants = timings(a.n, a.rounds, a.warmup, threshold)
        result.update(n=a.n, rounds=a.rounds, gcThreshold=list(threshold), variants=variants)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
