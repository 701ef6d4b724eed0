/**
 * The records the refheap runner (run.ts and this folder) keeps about a scenario's values and
 * objects, shared by its modules. Internal to the oracle: nothing here is exported from
 * src/oracle/index.ts.
 */

import { NONE, type TypeInfo } from "../../core.js";
import type {
  DictHandle,
  Value as HValue,
  WeakKeyDictionary,
  WeakSet as WeakSetContainer,
  WeakValueDictionary,
} from "../../index.js";
import type { PyFrame } from "../machine.js";
import type { ClassDecl } from "../scenario.js";

/** A value: an object address (`r`), or an int stored inline. */
export interface Val {
  readonly v: number;
  readonly r: boolean;
}

export const VNONE: Val = { v: NONE, r: true };

export type ContainerKind = "wvd" | "wkd" | "wset";
export type WeakContainer = WeakValueDictionary | WeakKeyDictionary | WeakSetContainer;

export interface ClassRec {
  readonly decl: ClassDecl;
  readonly info: TypeInfo;
}

/**
 * A scenario's weak container: the Heap API's container (`obj`, whose `core` runs the operations
 * on `data` and `_pending_removals`) and the stand-in instance that is the Python object. The
 * stand-in holds the instance's attributes in CPython's order (setup.ts: makeContainer), `data`
 * and `_pending_removals` through the references the API's handles were made with (lent to it),
 * so the collector sees only the references CPython's would.
 */
export interface ContainerRec {
  readonly kind: ContainerKind;
  readonly name: string;
  readonly obj: WeakContainer;
  /** The stand-in instance (the scenario's value and label). */
  readonly standIn: number;
  /**
   * `ref(self)`, the weakref the `_remove` function's defaults hold (runner.py's _WCR keeps it):
   * once it is dead, the container's Python code does nothing more (`selfref()` is None), and the
   * runner no longer uses `obj` (RunnerState.live).
   */
  readonly selfref: number;
  /** Set when the stand-in is deallocated (weakcontainers.ts: containerDealloc). */
  disposed: boolean;
}

/** A live `finalize` object: its scenario name and the mirror of its _Info. */
export interface FinRec {
  readonly name: string;
  /**
   * Mirror of finalize._Info (borrowed: the registry holds it): an instance whose fields hold
   * the `args` tuple and the weakref whose callback is the finalize object itself.
   */
  readonly info: number;
}

export type IterKind = "wvd" | "wkd" | "wset" | "dict" | "list" | "tuple";

/** An iterator made by `iter`: what it iterates and the mirrors of CPython's machinery. */
export interface IterRec {
  readonly kind: IterKind;
  /** Yields (k, v) pairs. */
  readonly pairs: boolean;
  /** The weak containers' generator (refheap's), or null for the builtin iterators. */
  readonly gen: Generator<unknown, void, undefined> | null;
  /** The container (weak containers: its record). */
  readonly container: ContainerRec | null;
  /** A dict iterator's DictHandle and its entries, until exhausted. */
  dictHandle: DictHandle | null;
  dictIt: Iterator<[HValue, HValue]> | null;
  /** Set once a dict iterator saw its dict change size (sticky, as CPython's di_used = -1). */
  broken: boolean;
  /** A list or tuple iterator's index. */
  index: number;
  state: "new" | "suspended" | "done";
  /** The generator's frame. */
  readonly frame: PyFrame;
  /**
   * The generator object (a `generator` instance), or 0 for the generator a `show items` runs
   * (whose objects the runner holds, the collector being off meanwhile).
   */
  readonly obj: number;
  /**
   * While the generator runs: its value stack, the bound `__exit__` (holding the guard) and the
   * data iterator (holding `data` and, for a dict, its result tuple), held by the generator object
   * (its fields after the locals) or, without one, owned here; the guard and the result tuple,
   * borrowed.
   */
  exitMethod: number;
  guard: number;
  dataIter: number;
  dataResult: number;
}

/**
 * What the runner uses of refheap's WeakCore, the weak containers' protected `core`
 * (src/api/weakcore.ts; src/oracle/ may import only the package entries): the iteration guard
 * (the count of guards in `_iterating`, __enter__, and _commit_removals, which the runner calls
 * as the last guard's __exit__ does), the walk over
 * `data`'s entries (their addresses; throws `changed` when its size changes, as a dict iterator),
 * `data`'s address, dict.popitem on `data` (the key and the value, each owning a reference when it
 * is an object), how many removals are pending, WeakKeyDictionary's _dirty_len, and the hook
 * called when a removal finds its key gone.
 */
export interface WeakCoreView {
  iterating: number;
  readonly alive: boolean;
  enter(): void;
  commit(op: string): void;
  entries(op: string, changed: string): Generator<number, void, undefined>;
  data(op: string): number;
  popEntry(op: string): [number, boolean, number, boolean] | null;
  pending(op: string): number;
  pendingCount(op: string): number;
  dirtyLen: boolean;
  onKeyGone: ((where: "remove" | "commit") => void) | null;
}

/** The weak container's `core` (see WeakCoreView). */
export function coreOf(c: ContainerRec): WeakCoreView {
  return (c.obj as unknown as { readonly core: WeakCoreView }).core;
}

/**
 * The key's and the value's slots in a dict entry (refheap's layout, src/object/dicttable.ts),
 * checked against dictGetSlot at each step of a WeakValueDictionary generator (generators.ts).
 */
export const E_KEY = 8;
export const E_VALUE = 16;

/**
 * The slots of a weak container's `_iterating` set mirror: the guards of the iterations running
 * at once (CPython's set has room for any number; a scenario runs one or two).
 */
export const ITERATING_SLOTS: readonly string[] = ["k0", "k1", "k2", "k3"];

/** The Python class of each kind of weak container. */
export const CONTAINER_CLASS: Readonly<Record<ContainerKind, string>> = {
  wvd: "WeakValueDictionary",
  wkd: "WeakKeyDictionary",
  wset: "WeakSet",
};

/** A new record for an iterator made by `iter` (or the generator a `show items` runs). */
export function newIterRec(
  kind: IterKind,
  container: ContainerRec | null,
  gen: IterRec["gen"],
  obj = 0,
): IterRec {
  return {
    obj,
    kind,
    pairs: kind === "wvd" || kind === "wkd" || kind === "dict",
    gen,
    container,
    dictHandle: null,
    dictIt: null,
    broken: false,
    index: 0,
    state: "new",
    frame: { obj: 0 },
    exitMethod: 0,
    guard: 0,
    dataIter: 0,
    dataResult: 0,
  };
}
