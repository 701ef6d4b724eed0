"""W4 on CPython: bytes per object, from tracemalloc and sys.getsizeof.

Usage:
  python3 w4.py --n 100000     # JSON on stdout

For each shape, makes n objects held by a preallocated list and divides the memory tracemalloc
saw allocated in between by n. tracemalloc records the size each allocation asked for (the GC
header included), not pymalloc's rounded block size. src/bench/w4.ts is the refheap side.
"""

import argparse
import gc
import json
import platform
import sys
import tracemalloc


class Slots:
    __slots__ = ("other",)


class Plain:
    pass


def one_field(n, keep):
    for i in range(n):
        keep[i] = Slots()


def plain_attrs(n, keep):
    for i in range(n):
        o = Plain()
        o.a = None
        o.b = None
        o.c = None
        keep[i] = o


def list_storage(n, keep):
    lst = []
    for _ in range(n):
        lst.append(None)
    keep[0] = lst


SHAPES = {
    "one-field instance": (one_field, lambda keep: sys.getsizeof(keep[0])),
    "plain instance, 3 attributes": (plain_attrs, lambda keep: sys.getsizeof(keep[0])),
    "list storage, per item": (list_storage, lambda keep: sys.getsizeof(keep[0])),
}


def measure(make, n):
    keep = [None] * n
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    make(n, keep)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return keep, (after - before) / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100000)
    args = parser.parse_args()
    gc.disable()
    shapes = []
    for name, (make, size_of) in SHAPES.items():
        keep, traced = measure(make, args.n)
        getsizeof = size_of(keep)
        if name == "list storage, per item":
            getsizeof = getsizeof / args.n
        shapes.append({"name": name, "tracedBytes": traced, "getsizeof": getsizeof})
        del keep
    out = {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "n": args.n,
        "shapes": shapes,
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
