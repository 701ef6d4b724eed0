"""W3 on CPython: weakref.WeakValueDictionary, and an object with one callback weakref dying.

Usage:
  python3 w3.py --ops 200000 --rounds 3 --warmup 1   # timings (one repetition), JSON on stdout

Ops, each timed over `ops` operations per round (ns per op = round time / ops):
  hit     d.get(k) for a key present with a live value (1,000 str keys, cycled)
  miss    d.get(k) for an absent key (another 1,000 str keys)
  set     d[k] = v replacing the value under a present key (a new KeyedRef each time)
  death   o = Img(); r = weakref.ref(o, cb); del o   (the callback runs at the del; the
          weakref itself is freed when r is rebound on the next iteration)
  create  o = Img(); del o   (the same without the weakref, to show the weakref's own cost)

The values are instances of `class Img: __slots__ = ("n", "__weakref__")`, a fixed-field class
with a weakref list, the closest layout to refheap's `fields: { n: "number" }, weakrefable`.
Automatic collection is off while timing, as timeit does. Times are the process's CPU time
(time.process_time_ns). src/bench/run-w3.ts starts this once per repetition, so CPython's samples
are interleaved in time with the JavaScript variants'.
"""

import argparse
import gc
import json
import platform
import sys
import time
import weakref

N_KEYS = 1000
OPS = ("hit", "miss", "set", "death", "create")


class Img:
    __slots__ = ("n", "__weakref__")

    def __init__(self, n):
        self.n = n


class Dead:
    # The same layout, made without arguments for the death/create ops (as refheap's Img.new()).
    __slots__ = ("n", "__weakref__")


# Precomputed str keys: their hashes are cached after the first lookup, as in any program.
KEYS = [f"k{i}" for i in range(N_KEYS)]
MISSING = [f"m{i}" for i in range(N_KEYS)]


def fail(why):
    raise SystemExit(f"w3.py: check failed: {why}")


class Fixture:
    def __init__(self):
        self.values = [Img(i) for i in range(N_KEYS)]
        # Replacement values for "set" (kept alive here, so no entry ever dies).
        self.others = [Img(N_KEYS + i) for i in range(N_KEYS)]
        self.d = weakref.WeakValueDictionary()
        for k, v in zip(KEYS, self.values):
            self.d[k] = v
        self.calls = 0

    def callback(self, _wr):
        self.calls += 1

    def check(self):
        d = self.d
        if len(d) != N_KEYS:
            fail(f"{len(d)} entries, expected {N_KEYS}")
        for k, v, o in zip(KEYS, self.values, self.others):
            got = d.get(k)
            if got is not v and got is not o:
                fail(f"get({k!r}) gave {got!r}")
        for k in MISSING:
            if d.get(k) is not None:
                fail(f"get({k!r}) hit")


def t_hit(f, loops):
    d = f.d
    keys = KEYS
    t0 = time.process_time_ns()
    for _ in range(loops):
        for k in keys:
            d.get(k)
    return time.process_time_ns() - t0


def t_miss(f, loops):
    d = f.d
    keys = MISSING
    t0 = time.process_time_ns()
    for _ in range(loops):
        for k in keys:
            d.get(k)
    return time.process_time_ns() - t0


def t_set(f, loops):
    d = f.d
    pairs = list(zip(KEYS, f.others)) + list(zip(KEYS, f.values))
    half = loops // 2  # each pass over `pairs` is two loops' worth (every key set twice)
    t0 = time.process_time_ns()
    for _ in range(half):
        for k, v in pairs:
            d[k] = v
    return time.process_time_ns() - t0


def t_death(f, loops):
    ref = weakref.ref
    cb = f.callback
    C = Dead
    before = f.calls
    t0 = time.process_time_ns()
    for _ in range(loops * N_KEYS):
        o = C()
        r = ref(o, cb)
        del o
    t1 = time.process_time_ns()
    if r() is not None:
        fail("the last weakref is not dead")
    del r
    if f.calls - before != loops * N_KEYS:
        fail(f"{f.calls - before} callbacks for {loops * N_KEYS} objects dropped")
    return t1 - t0


def t_create(_f, loops):
    C = Dead
    t0 = time.process_time_ns()
    for _ in range(loops * N_KEYS):
        o = C()
        del o
    return time.process_time_ns() - t0


TIMERS = {"hit": t_hit, "miss": t_miss, "set": t_set, "death": t_death, "create": t_create}


def timings(ops, rounds, warmup):
    loops = max(2, ops // N_KEYS)
    loops += loops % 2  # "set" runs loops / 2 passes of 2,000 sets
    per_round = loops * N_KEYS
    f = Fixture()
    gc.collect()
    gc.disable()  # as timeit does
    for _ in range(warmup):
        for t in TIMERS.values():
            t(f, loops)
    out = {op: [] for op in OPS}
    for _ in range(rounds):
        for op, t in TIMERS.items():
            out[op].append(t(f, loops) / per_round)
    gc.enable()
    f.check()
    # One hit, miss and callback checked at the point they happen (outside the timed loops).
    if f.d.get(KEYS[0]) is None or f.d.get(MISSING[0]) is not None:
        fail("hit/miss")
    before = f.calls
    o = Dead()
    r = weakref.ref(o, f.callback)
    del o
    if f.calls != before + 1 or r() is not None:
        fail("the callback did not run when the object was dropped")
    return {"opsPerRound": per_round, "nsPerOp": out}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ops", type=int, default=200_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    a = p.parse_args()
    result = {
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
    }
    result.update(timings(a.ops, a.rounds, a.warmup))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
