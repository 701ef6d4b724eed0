"""W2 on CPython: the cycle collector.

Usage:
  python3 w2.py garbage --pairs 500000 --rounds 3 --warmup 1   # cyclic garbage, JSON on stdout
  python3 w2.py pause --n 1000000 --rounds 3 --warmup 2        # full-collection pause, JSON on stdout

garbage: make `pairs` two-object cycles (a.other = b, b.other = a, both dropped) with automatic
collection off, then time ONE gc.collect(), per round, for a `__slots__ = ('other',)` class and
a plain class (rounds alternate between them, as in w1.py).

pause: a list of n instances of the __slots__ class (field unset), automatic collection off;
`warmup` untimed gc.collect(2) calls first (the first moves everything to generation 2), then
each round times one gc.collect(2) that finds no garbage.

src/bench/run-w2.ts starts this once per repetition and part, so CPython's samples are interleaved
in time with the JavaScript variants'. Times are in nanoseconds of the process's CPU time
(time.process_time_ns), one entry per round.
"""

import argparse
import gc
import json
import platform
import sys
import time


class Slots:
    __slots__ = ("other",)


class Plain:
    pass


GARBAGE_VARIANTS = {"__slots__ class": Slots, "plain class": Plain}


def make_cycles(cls, pairs):
    # In a function, so the last pair's locals die with the frame: every pair is garbage after.
    for _ in range(pairs):
        a = cls()
        b = cls()
        a.other = b
        b.other = a


def garbage_round(cls, pairs):
    t0 = time.process_time_ns()
    make_cycles(cls, pairs)
    t1 = time.process_time_ns()
    n = gc.collect()
    t2 = time.process_time_ns()
    return t1 - t0, t2 - t1, n


def garbage(pairs, rounds, warmup):
    gc.collect()
    gc.disable()
    # What else a full collection walks here: the interpreter's own live tracked objects.
    baseline = len(gc.get_objects())
    for cls in GARBAGE_VARIANTS.values():
        for _ in range(warmup):
            garbage_round(cls, pairs)
    out = {name: {"name": name, "makeNs": [], "collectNs": [], "returned": []} for name in GARBAGE_VARIANTS}
    for _ in range(rounds):
        for name, cls in GARBAGE_VARIANTS.items():
            m, c, n = garbage_round(cls, pairs)
            out[name]["makeNs"].append(m)
            out[name]["collectNs"].append(c)
            out[name]["returned"].append(n)
    gc.enable()
    return {"pairs": pairs, "baselineTracked": baseline, "variants": list(out.values())}


def pause(n, rounds, warmup):
    gc.collect()
    gc.disable()
    baseline = len(gc.get_objects())
    lst = [Slots() for _ in range(n)]  # the same structure as src/bench/w2.ts: one list of n instances
    for _ in range(warmup):
        gc.collect(2)
    times = []
    returned = []
    for _ in range(rounds):
        t0 = time.process_time_ns()
        r = gc.collect(2)
        t1 = time.process_time_ns()
        times.append(t1 - t0)
        returned.append(r)
    del lst
    gc.enable()
    return {"n": n, "baselineTracked": baseline, "collectNs": times, "returned": returned}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("part", choices=["garbage", "pause"])
    p.add_argument("--pairs", type=int, default=500_000)
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    a = p.parse_args()
    result = {
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
    }
    if a.part == "garbage":
        result.update(garbage(a.pairs, a.rounds, a.warmup))
    else:
        result.update(pause(a.n, a.rounds, a.warmup))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
