/**
 * ObjectHeap: the memory layer plus what objects need — the type table, the static segment
 * (list heads and the None/True/False/() singletons) and the collector's per-heap counters.
 * Layers above extend this class with their own state, so one object (of one hidden class)
 * carries the whole heap and every hot function reads its fields directly.
 *
 * Static segment (chunk 0; address 0 is NULL and never an object):
 *
 *   0x000  NULL guard (16 bytes)
 *   0x010  generation 0 list head    ┐ each head is a bare GC head:
 *   0x020  generation 1 list head    │   +0 next, +4 prev
 *   0x030  generation 2 list head    │ (empty ring: both point at the head)
 *   0x040  permanent generation head │
 *   0x050  scratch heads ×11 ........┘ (used by the collector for its temporary lists)
 *   0x100  None   [refcnt][type]
 *   0x110  True   [refcnt][type][value = 1]
 *   0x120  False  [refcnt][type][value = 0]
 *   0x130  ()     GC head, then at 0x138 [refcnt][type][size = 0]: the empty tuple, never tracked
 */
import { Memory, type MemoryOptions, write32 } from "../memory/index.js";
import { Kind } from "./kinds.js";

export const NULL_GUARD = 0x000;
export const GEN0_HEAD = 0x010;
export const GEN1_HEAD = 0x020;
export const GEN2_HEAD = 0x030;
export const PERMANENT_HEAD = 0x040;
export const SCRATCH_HEADS = 0x050;
export const SCRATCH_HEAD_COUNT = 11;
/** None's address (a static object: never freed). */
export const NONE = 0x100;
/** True's address (a static object: never freed). */
export const TRUE = 0x110;
/** False's address (a static object: never freed). */
export const FALSE = 0x120;
/** The empty tuple's address (a static object: never freed). */
export const EMPTY_TUPLE = 0x138;
/** End of the static objects: addresses below this in chunk 0 are the runtime's own. */
export const STATIC_END = 0x150;

/** Initial refcount of the static singletons: they must never reach 0. */
export const STATIC_REFCNT = 1;

/** Slots of ObjectHeap.freelists: lists, dicts, then tuples of sizes 1..19. */
export const FREELIST_LIST = 0;
export const FREELIST_DICT = 1;
/** Tuples of size n (1..FREELIST_TUPLE_MAX_SIZE) use slot FREELIST_TUPLE_BASE + n. */
export const FREELIST_TUPLE_BASE = 1;
export const FREELIST_TUPLE_MAX_SIZE = 19;
export const FREELIST_SLOTS = 2 + FREELIST_TUPLE_MAX_SIZE;
/** CPython 3.11's capacities: PyList_MAXFREELIST, PyDict_MAXFREELIST, PyTuple_MAXFREELIST. */
export const FREELIST_CAPACITY: readonly number[] = [
  80,
  80,
  ...new Array<number>(FREELIST_TUPLE_MAX_SIZE).fill(2000),
];

/**
 * CPython 3.11's cap on a class's shared keys (SHARED_KEYS_MAX_SIZE): a new class's budget of
 * attribute names, see sharedkeys.ts.
 */
export const SHARED_KEYS_MAX_SIZE = 30;

/**
 * The part of a TypeInfo the heap class needs to know about (see types.ts).
 *
 * @inline
 */
export interface TypeInfoLike {
  readonly id: number;
  readonly name: string;
}

/** Makes the list head at `head` an empty ring. */
export function gcListInit(h: ObjectHeap, head: number): void {
  write32(h, head, head);
  write32(h, head + 4, head);
}

/** True for the statically allocated singletons (None, True, False, ()). */
export function isStaticObject(o: number): boolean {
  return o === NONE || o === TRUE || o === FALSE || o === EMPTY_TUPLE;
}

export class ObjectHeap extends Memory {
  /** Address of the generation-0 list head (constant; a field so hot code reads it cheaply). */
  readonly gen0 = GEN0_HEAD;
  /** CPython's generations[0].count: GC allocations minus GC frees since the last collection. */
  gcCount0 = 0;
  /**
   * An allocation that raises gcCount0 above this starts an automatic collection. The collector
   * keeps it at threshold[0] while automatic collection is possible and at INT32_MAX while it is
   * not (disabled, threshold 0, or a collection running), so the allocation path tests one number.
   */
  gcAutoAbove = 0x7fffffff;
  /**
   * CPython 3.11's freelists, counted but not kept: how many list, dict and small-tuple objects
   * CPython would hold for reuse. An allocation CPython serves from a freelist, and a free it
   * puts on one, leaves gcCount0 alone (see alloc.ts and docs/decisions.md §13).
   * Index 0: lists, 1: dicts, 1 + n: tuples of size n (1..19).
   */
  readonly freelists: Int32Array = new Int32Array(FREELIST_SLOTS);
  /**
   * Dicts that stand in for a CPython set (a WeakSet's data): tracked from creation and never
   * untracked by a collection, as a set is (tracking.ts: markDictAsSet). Dealloc forgets them.
   */
  readonly setDicts = new Set<number>();
  /**
   * Weakref callbacks (JS functions), by the index a weakref's wr_callback word holds; index 0 is
   * "no callback". Freed indexes are reused (see weakref.ts).
   */
  readonly weakrefCallbacks: (((wr: number) => void) | undefined)[] = [undefined];
  readonly weakrefCallbackFree: number[] = [];
  /**
   * Whether the generated fast paths serve this heap: unchecked heaps, as they skip the checks.
   * Fixed for the heap's life; tests that compare the fast paths with the general ones set it
   * false before defining any class (a class's allocator is made at its definition). The list
   * append's fast path serves every unchecked heap regardless (list-append.test.ts checks it
   * against the general steps). @internal
   */
  fastPaths: boolean;
  /** Source of reuse tags (see header.ts). */
  reuseCounter = 0;

  // --- the type table. Hot per-type data lives in typed arrays indexed by type id. ---
  typeKind: Uint8Array = new Uint8Array(64);
  /** Per type: 1 if its objects carry a GC head (containers). */
  typeIsGc: Uint8Array = new Uint8Array(64);
  /** Per type: the type object's address (user classes), or 0. */
  typeObject: Int32Array = new Int32Array(64);
  /** Per type: offset of the first field slot (instances). */
  typeFieldsOffset: Int32Array = new Int32Array(64);
  typeFieldCount: Int32Array = new Int32Array(64);
  /** Per type: offset of the attrs word (values array or dict), or -1. */
  typeAttrsOffset: Int32Array = new Int32Array(64);
  /**
   * Per type: the budget of its shared keys (CPython's dk_usable of the class's cached keys):
   * SHARED_KEYS_MAX_SIZE for a new dynamic class, 0 for every other type. See sharedkeys.ts.
   */
  typeSharedUsable: Int32Array = new Int32Array(64);
  /** Per type: how many names its shared keys hold. */
  typeSharedCount: Int32Array = new Int32Array(64);
  /**
   * The shared names themselves: str objects the class holds one reference to each (as CPython's
   * keys object does), name i of type id at `id × SHARED_KEYS_MAX_SIZE + i`. Holding them makes
   * "is this the same str object" an exact test on the attribute path.
   */
  sharedKeyStrs: Int32Array = new Int32Array(64 * SHARED_KEYS_MAX_SIZE);
  /** Per type: offset of the weakref-list head, or -1. */
  typeWeaklistOffset: Int32Array = new Int32Array(64);
  /** Per type: 1 if the type has a finalizer (__del__). */
  typeHasFinalizer: Uint8Array = new Uint8Array(64);
  /** Per type: 1 if the type has a legacy finalizer (tp_del): the collector will not free its cycles. */
  typeHasLegacyFinalizer: Uint8Array = new Uint8Array(64);
  /** Per type: bytes to allocate for an instance (GC head + basic size). */
  typeAllocSize: Int32Array = new Int32Array(64);
  /** Per type: pymalloc's size class for typeAllocSize, or -1 when the large-block path serves it. */
  typeSizeClass: Int32Array = new Int32Array(64);
  /** Per type: 1 if some declared field is a number or host field (starts at 0 rather than NULL). */
  typeHasNumberFields: Uint8Array = new Uint8Array(64);
  /** Per type: 1 if some declared field holds a host value (see FieldKind.Host). */
  typeHasHostFields: Uint8Array = new Uint8Array(64);
  /**
   * Per type: 1 if dealloc may try the generated fast path for its instances (fastPaths is on, and
   * the class has no finalizer, legacy finalizer or host field, its fields are released in layout
   * order, and pymalloc serves it).
   */
  typeFastDealloc: Uint8Array = new Uint8Array(64);
  /** Per type: 1 if its objects have a variable-size part (a user kind's items; count at +8). */
  typeHasItems: Uint8Array = new Uint8Array(64);
  /** Per type: 1 if its fields are visited in TypeInfo.visitOrder (a subclass), not layout order. */
  typeFieldsReordered: Uint8Array = new Uint8Array(64);
  /** 1 once dropClass let go of the type table's reference to the class (classes.ts). */
  typeDropped: Uint8Array = new Uint8Array(64);
  /** TypeInfo objects by id (index 0 unused). */
  readonly types: TypeInfoLike[] = [];
  /**
   * Per type: its instances' allocator, generated for the class when it is defined
   * (specialize.ts), or a function that declines (returns 0) for a type without one; holes for
   * types that are not classes. @internal
   */
  readonly typeNew: ((h: ObjectHeap) => number)[] = [];

  /** Scratch buffer that traverse() fills with an object's references. */
  edges: Int32Array = new Int32Array(1024);
  /** Numbers that traverseValues reported (where edges[i] is 0). Same length as edges. */
  edgeNumbers: Float64Array = new Float64Array(1024);

  constructor(options: MemoryOptions = {}) {
    super(options);
    this.fastPaths = !this.checked;
    for (let head = GEN0_HEAD; head < SCRATCH_HEADS + 16 * SCRATCH_HEAD_COUNT; head += 16)
      gcListInit(this, head);
    write32(this, NONE, STATIC_REFCNT);
    write32(this, NONE + 4, Kind.NoneType);
    write32(this, TRUE, STATIC_REFCNT);
    write32(this, TRUE + 4, Kind.Bool);
    write32(this, TRUE + 8, 1);
    write32(this, FALSE, STATIC_REFCNT);
    write32(this, FALSE + 4, Kind.Bool);
    write32(this, FALSE + 8, 0);
    write32(this, EMPTY_TUPLE - 8, 0);
    write32(this, EMPTY_TUPLE - 4, 0);
    write32(this, EMPTY_TUPLE, STATIC_REFCNT);
    write32(this, EMPTY_TUPLE + 4, Kind.Tuple);
    write32(this, EMPTY_TUPLE + 8, 0);
  }

  /**
   * Runs an automatic collection; called from inside a GC allocation when gcCount0 exceeds
   * gcAutoAbove. The collector (src/gc/) overrides it; a heap without one never collects.
   */
  gcAutomatic(): void {
    this.gcAutoAbove = 0x7fffffff;
  }

  /**
   * How many user `eq` hooks have run: a dict lookup that ran one checks whether its dict changed
   * meanwhile (dicttable.ts). @internal
   */
  userEqCalls = 0;

  /**
   * Runs a user kind's `eq` hook for `self` against (other, otherIsRef), holding a reference to
   * both meanwhile, as CPython's lookdict holds the stored key. src/weakref/ overrides it (the
   * release after the call may deallocate); this fallback cannot release and only counts.
   */
  callEq(
    eq: (obj: number, other: number, otherIsRef: boolean) => boolean,
    self: number,
    other: number,
    otherIsRef: boolean,
  ): boolean {
    this.userEqCalls++;
    return Boolean(eq(self, other, otherIsRef));
  }
}
