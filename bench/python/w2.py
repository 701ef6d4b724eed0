"""W2 on CPython: the cycle collector.

Usage:
  python3 w2.py garbage --pairs 500000 --rounds 3 --warmup 1   # cyclic garbage, JSON on stdout
  python3 w2.py pause --n 1000000 --rounds 3 --warmup 2        # full-collection pause, JSON on stdout
  python3 w2.py fragmented --n 1000000 --rounds 3 --warmup 2   # the pause on a fragmented heap (W2b)
  python3 w2.py shuffle --n 10                                 # the shuffled order itself, JSON

garbage: make `pairs` two-object cycles (a.other = b, b.other = a, both dropped) with automatic
collection off, then time ONE gc.collect(), per round, for a `__slots__ = ('other',)` class and
a plain class (rounds alternate between them, as in w1.py).

pause: a list of n instances of the __slots__ class (field unset), automatic collection off;
`warmup` untimed gc.collect(2) calls first (the first moves everything to generation 2), then
each round times one gc.collect(2) that finds no garbage.

fragmented: the same pause, but the n live instances were allocated in a shuffled address order,
exactly as src/bench/w2.ts does it for refheap: first n instances (fresh pools hand them out in
address order); then, for i = 0 .. n-1, free the one at position order[i] and at once make a new
instance and append it to the list. pymalloc's free lists are LIFO, and a full pool that regains
a block goes to the front of its size class's used pools, so each new instance takes the block
just freed: the i-th live object sits where the order[i]-th first instance was ("placed" counts
the instances for which id() shows it). `order` is shuffled_order(n, SHUFFLE_SEED), the same
permutation as src/bench/shuffle.ts draws.

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
from array import array


class Slots:
    __slots__ = ("other",)


class Plain:
    pass


GARBAGE_VARIANTS = {"__slots__ class": Slots, "plain class": Plain}

# The seed of the fragmented heap's shuffle: src/bench/shuffle.ts's SHUFFLE_SEED.
SHUFFLE_SEED = 0x9E3779B9
MASK32 = 0xFFFFFFFF


def shuffled_order(n, seed=SHUFFLE_SEED):
    """A permutation of 0 .. n-1, as src/bench/shuffle.ts draws it: Fisher-Yates, for i from
    n-1 down to 1 swapping positions i and (next xorshift32 output) % (i + 1)."""
    order = array("q", range(n))
    x = seed & MASK32
    if x == 0:
        raise ValueError("xorshift32 needs a nonzero seed")
    for i in range(n - 1, 0, -1):
        x ^= (x << 13) & MASK32
        x ^= x >> 17
        x ^= (x << 5) & MASK32
        j = x % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


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


def fragmented_list(n):
    """n instances of Slots in one list, allocated in the shuffled address order (see above);
    returns the list and how many instances took the block meant for them."""
    order = shuffled_order(n)
    first = [Slots() for _ in range(n)]
    addresses = array("Q", map(id, first))
    lst = []
    placed = 0
    for i in range(n):
        j = order[i]
        first[j] = None  # frees the instance: its block goes to the front of its pool's free list
        lst.append(Slots())
        if id(lst[-1]) == addresses[j]:
            placed += 1
    return lst, placed


def pause(n, rounds, warmup, fragmented=False):
    gc.collect()
    gc.disable()
    baseline = len(gc.get_objects())
    placed = None
    if fragmented:
        lst, placed = fragmented_list(n)
    else:
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
    out = {"n": n, "baselineTracked": baseline, "collectNs": times, "returned": returned}
    if fragmented:
        out.update(seed=SHUFFLE_SEED, placed=placed)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("part", choices=["garbage", "pause", "fragmented", "shuffle"])
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
    elif a.part == "shuffle":
        result.update(n=a.n, seed=SHUFFLE_SEED, order=list(shuffled_order(a.n)))
    else:
        result.update(pause(a.n, a.rounds, a.warmup, fragmented=a.part == "fragmented"))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
