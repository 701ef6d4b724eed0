/**
 * The heap's internal state behind the friendly API: value conversion, handle creation, scopes,
 * leak detection and the table of host values. `Heap` (heap.ts) is its public face.
 */
import {
  FALSE,
  Kind,
  NONE,
  newStr,
  refcnt,
  reuseTagOf,
  slotIsRef,
  slotNumber,
  slotRef,
  strValue,
  TRUE,
  TYPE_ID_MASK,
  typeIdOf,
  typeInfo,
  typeWordOf,
} from "../object/index.js";
import { decref, incref } from "../refcount/index.js";
import {
  ErrorCode,
  HandleError,
  type HandleReport,
  HeapTypeError,
  HeapValueError,
  hex,
  LeakError,
} from "../util/index.js";
import type { Engine } from "./engine.js";
import {
  addressOf,
  fastNow,
  floatingAddress,
  HANDLE_MAKER,
  Handle,
  type HandleHost,
  type HandleMaker,
  type HandleObject,
  hostOf,
  jsDescription,
  type LeakRecord,
  leakSlot,
  makeHandle,
  Ownership,
  setLeakRecord,
  type Value,
} from "./handle.js";

/** What happens to a handle the program drops without releasing it ("off": not watched). */
export type LeakPolicy = "warn" | "release" | "throw" | "off";

/**
 * What the leak detector keeps per program-owned handle. `released` is set by dispose(), so the
 * registry never needs an unregister (a hash lookup per release); `slot` is its index in the
 * heap's list of unreleased handles (removed by swapping the last one in: no search); `made` is
 * an Error created with the handle when stacks are tracked: V8 records its frames cheaply and
 * formats them only if reported.
 */
interface LeakInfo extends LeakRecord {
  readonly addr: number;
  readonly tag: number;
  readonly made: Error | undefined;
}

export class HeapContext implements HandleHost {
  readonly engine: Engine;
  readonly policy: LeakPolicy;
  closed = false;
  fast: boolean;
  encIsRef = false;
  encTemp = 0;
  pendingSinks: unknown[] | null = null;
  /** Open scopes, innermost last; each lists the handles it owns. */
  readonly scopes: Handle[][] = [];
  /** Reports of handles that were dropped without being released. */
  readonly leaks: string[] = [];
  /** Whether each program-owned handle records where it was made (HeapOptions.trackStacks). */
  readonly trackStacks: boolean;
  /**
   * The records of those handles (unless the policy is "off"), in no particular order, except
   * the floating handles listed in #floating.
   */
  readonly #open: LeakInfo[] = [];
  /**
   * Program-owned floating handles, each with the FLOATING record and a slot here instead of a
   * LeakInfo of its own (policies "warn" and "throw" without stack tracking: no registry watches
   * a floating handle then): slot i is the pair at 2i, 2i + 1, the object's address (0: a slot
   * whose handle was sunk or released while later ones were still listed) and its type word, in
   * the first #floatingCount slots. Most are sunk within their statement (`list.append(C.new())`)
   * while still the last one, and the count just drops. Numbers in a typed array, not the handles
   * in an array: storing a new handle into an old array costs V8 a write barrier and keeps it alive
   * through the next scavenge, which took about 15 ns per `list.append(C.new())`. The address
   * and the word of a slot side by side in one array: one buffer to grow, and one cache line per
   * push and pop.
   */
  #floating = new Int32Array(128);
  #floatingCount = 0;
  readonly #listFloating: boolean;
  readonly #registry: FinalizationRegistry<LeakInfo>;
  /**
   * The makers of the handle classes of the built-in types (by kind, or by type id for a type of
   * its own) and of user classes (by type id).
   */
  readonly kindMakers: (HandleMaker | undefined)[] = [];
  readonly typeMakers: (HandleMaker | undefined)[] = [];
  /** What the program sees of a proxy's handle (set by Heap: api/weakref.ts's proxyFace). */
  proxyFace: (h: Handle) => Handle = (h) => h;
  /** The proxy handle behind a face, or undefined (api/weakref.ts's proxyOfFace). */
  faceHandle: (value: unknown) => Handle | undefined = () => undefined;
  // Host values: index 0 is "nothing"; freed indexes are reused.
  readonly hostValues: unknown[] = [undefined];
  readonly hostClosers: (((value: unknown) => void) | undefined)[] = [undefined];
  readonly hostFree: number[] = [];

  constructor(engine: Engine, policy: LeakPolicy, trackStacks: boolean) {
    this.engine = engine;
    this.policy = policy;
    this.trackStacks = trackStacks;
    this.fast = fastNow(this);
    this.#listFloating = (policy === "warn" || policy === "throw") && !trackStacks;
    this.#registry = new FinalizationRegistry((info) => this.#dropped(info));
  }

  ensureOpen(op: string): void {
    if (this.closed) throw new HandleError(ErrorCode.HeapClosed, `${op}: the heap was closed`);
  }

  handleOf(value: unknown): Handle | undefined {
    return value instanceof Handle ? value : this.faceHandle(value);
  }

  /**
   * The handle argument `arg` of `op` stands for (a Handle of this heap, or a proxy's face):
   * WRONG_HEAP for another heap's, WRONG_TYPE, naming the argument, for anything else.
   */
  handleArg(value: unknown, op: string, arg: string): Handle {
    const h = this.handleOf(value);
    if (h === undefined) {
      throw new HeapTypeError(`${op}: ${arg} must be a handle to a heap object; got ${jsDescription(value)}`);
    }
    if (hostOf(h) !== this) {
      throw new HandleError(ErrorCode.WrongHeap, `${op}: ${arg} is a handle of another heap`);
    }
    return h;
  }

  // --- handles ---

  wrap(addr: number, steal: boolean, floating = false): Handle {
    if (!steal) incref(this.engine, addr);
    return this.#make(addr, floating ? Ownership.Floating : Ownership.Owned);
  }

  borrow(addr: number): Handle {
    return this.#make(addr, Ownership.Borrowed);
  }

  /**
   * A handle of the right class for `addr` (a proxy's face for a weak proxy); an owning one is
   * given to its owner (adopt).
   */
  #make(addr: number, own: Ownership): Handle {
    const e = this.engine;
    const word = typeWordOf(e, addr);
    const id = word & TYPE_ID_MASK;
    const kind = e.typeKind[id]!;
    // A subclass of list, dict or ref defined through the engine gets its kind's handle class.
    const maker =
      (kind === Kind.Instance ? this.typeMakers[id] : (this.kindMakers[id] ?? this.kindMakers[kind])) ??
      HANDLE_MAKER;
    let h: Handle;
    if (own === Ownership.Borrowed) h = makeHandle(new maker(), this, addr, own);
    else if (this.policy === "off" && this.scopes.length === 0) {
      // #adopt's case without a registry, its record given at construction (W3's hits)
      h = makeHandle(new maker(), this, addr, own, word, UNWATCHED);
    } else h = this.adopt(makeHandle(new maker(), this, addr, own), addr);
    return kind === Kind.WeakProxy ? this.proxyFace(h) : h;
  }

  /**
   * `target` (a HandleMaker's new object) made a floating handle for the new object at `addr` (a
   * constructor's result), given to its owner as adopt() would, in fewer steps when the program
   * owns it and it is listed in #floating.
   */
  newFloating<H extends Handle>(target: HandleObject<H>, addr: number): H {
    if (!this.#listFloating || this.scopes.length !== 0) return this.#newFloatingAdopted(target, addr);
    // Handle's constructor called here, not through makeHandle (its default arguments): fewer
    // bytecodes against V8's inlining budget (docs/performance.md, "The append's fast path").
    const word = typeWordOf(this.engine, addr);
    const slot = this.#listFloatingSlot(addr, word);
    return new Handle(target, this, addr, Ownership.Floating, word, FLOATING, slot) as H;
  }

  #newFloatingAdopted<H extends Handle>(target: HandleObject<H>, addr: number): H {
    return this.adopt(makeHandle(target, this, addr, Ownership.Floating), addr);
  }

  /** Lists a floating handle's object (its address and type word); returns its slot. */
  #listFloatingSlot(addr: number, word: number): number {
    const slot = this.#floatingCount;
    if (2 * slot === this.#floating.length) this.#growFloating();
    const pairs = this.#floating;
    pairs[2 * slot] = addr;
    pairs[2 * slot + 1] = word;
    this.#floatingCount = slot + 1;
    return slot;
  }

  /** Gives a new handle to its owner: the innermost scope, or the program (with leak detection). */
  adopt<H extends Handle>(h: H, addr: number): H {
    // Check the length first: reading index -1 of an empty array is a slow named-property lookup.
    const n = this.scopes.length;
    if (n > 0) this.scopes[n - 1]!.push(h);
    else this.#adopt(h, addr);
    return h;
  }

  /** Registers a program-owned handle with the leak detector. */
  #adopt(h: Handle, addr: number): void {
    if (this.policy === "off") {
      // Only "owned by the program" matters without a registry: one shared record will do.
      setLeakRecord(h, UNWATCHED);
      return;
    }
    if (this.#listFloating && floatingAddress(h) !== 0) {
      setLeakRecord(h, FLOATING, this.#listFloatingSlot(addr, typeWordOf(this.engine, addr)));
      return;
    }
    this.#list(h, addr);
  }

  /** Gives a handle a LeakInfo of its own, listed in #open (and watched by V8's collector if owned). */
  #list(h: Handle, addr: number): void {
    const info: LeakInfo = {
      addr,
      tag: reuseTagOf(this.engine, addr),
      made: this.trackStacks ? madeHere() : undefined,
      released: false,
      slot: this.#open.length,
    };
    this.#open.push(info);
    setLeakRecord(h, info);
    // A floating handle is watched by V8's collector only where that changes what happens
    // ("release"): it is listed above and reported at close() under every policy, and most are
    // sunk within a statement (`list.append(C.new())`), where a registration would cost more than
    // all the rest of the handle (docs/decisions.md §30).
    if (h.ownership === "owned" || this.policy === "release") this.#registry.register(h, info);
  }

  watch(h: Handle, record: LeakRecord, addr: number): void {
    if (record === FLOATING) {
      this.#unlistFloating(leakSlot(h));
      this.#list(h, addr);
    } else if (this.policy !== "off" && this.policy !== "release" && record !== UNWATCHED) {
      this.#registry.register(h, record as LeakInfo);
    }
  }

  forget(record: LeakRecord, h: Handle): void {
    if (record === UNWATCHED) return;
    if (record === FLOATING) {
      this.#unlistFloating(leakSlot(h));
      return;
    }
    record.released = true;
    if (record.slot >= 0) this.#unlist(record as LeakInfo);
  }

  /**
   * Takes a floating handle's slot off #floating: the last one goes, with any cleared ones
   * before it; any other is cleared, and goes when the ones after it have.
   */
  #unlistFloating(slot: number): void {
    const pairs = this.#floating;
    pairs[2 * slot] = 0;
    let n = this.#floatingCount;
    if (slot !== n - 1) return;
    do n--;
    while (n > 0 && pairs[2 * (n - 1)] === 0);
    this.#floatingCount = n;
  }

  #growFloating(): void {
    const pairs = new Int32Array(this.#floating.length * 2);
    pairs.set(this.#floating);
    this.#floating = pairs;
  }

  /** Takes a record off the list of unreleased handles. */
  #unlist(info: LeakInfo): void {
    const last = this.#open.pop()!;
    if (last !== info) {
      this.#open[info.slot] = last;
      last.slot = info.slot;
    }
    info.slot = -1;
  }

  /** Whether a record's object still lives (its memory was not freed and reused behind the handle's back). */
  #alive(info: LeakInfo): boolean {
    return reuseTagOf(this.engine, info.addr) === info.tag;
  }

  /** The type name of the object at `addr`, or '(freed)'. */
  #typeName(addr: number, alive: boolean): string {
    return alive ? typeInfo(this.engine, typeIdOf(this.engine, addr)).name : "(freed)";
  }

  /** Every unreleased program-owned handle (HEAP_CLOSED after close; INVALID_ARGUMENT if untracked). */
  unreleased(op: string): HandleReport[] {
    if (this.policy === "off") {
      throw new HeapValueError(
        `${op}: this heap does not track its handles (leaks: "off"); make it with another leak policy`,
      );
    }
    const reports = this.#open.map((info) => this.#report(info.addr, this.#alive(info), madeAt(info)));
    const pairs = this.#floating;
    for (let i = 0; i < this.#floatingCount; i++) {
      const addr = pairs[2 * i]!;
      if (addr !== 0)
        reports.push(this.#report(addr, typeWordOf(this.engine, addr) === pairs[2 * i + 1], undefined));
    }
    return reports;
  }

  #report(addr: number, alive: boolean, made: string | undefined): HandleReport {
    return {
      typeName: this.#typeName(addr, alive),
      address: addr,
      refcount: alive ? refcnt(this.engine, addr) : 0,
      made,
    };
  }

  /** The FinalizationRegistry callback: a handle was collected by V8; was it ever released? */
  #dropped(info: LeakInfo): void {
    if (info.released) return;
    this.#unlist(info);
    const alive = this.#alive(info);
    const typeName = this.#typeName(info.addr, alive);
    const stack = madeAt(info);
    const where = stack === undefined ? "" : `; it was made at\n${stack}`;
    const msg = `a handle to a '${typeName}' object at ${hex(info.addr)} was dropped without being released${where}`;
    this.leaks.push(msg);
    if (this.closed) return;
    if (this.policy === "release") {
      if (alive) decref(this.engine, info.addr);
    } else if (this.policy === "warn") {
      emitWarning(`refheap: ${msg}; its reference is leaked. Release handles with dispose() or \`using\`.`);
    }
  }

  // --- scopes ---

  /**
   * Runs user code the heap calls on its own (a finalizer, a weakref callback, a weakref.finalize
   * function, a gc callback, a host value's closer) outside every open scope: a handle it makes
   * belongs to the program (or to a scope it opens), whichever scope happened to be running when
   * the collection or deallocation that calls it started.
   */
  detached<T>(fn: () => T): T {
    if (this.scopes.length === 0) return fn();
    const outer = this.scopes.splice(0);
    try {
      return fn();
    } finally {
      this.scopes.push(...outer);
    }
  }

  /**
   * Runs `fn` with a new scope; every handle made inside is released when it returns or throws,
   * except the handle it returns, which passes to the enclosing owner (the next scope out, or the
   * program), as a Python function's return value outlives its frame. Synchronous code only: a
   * scope ends when `fn` returns. With `refuse` (the program's own scopes: heap.scope, heap.call)
   * an async function is refused before it runs, and a promise returned by another function ends
   * the scope with an error (see refuseAsync); the heap's own scopes around callbacks pass any
   * result through, as CPython ignores what a weakref callback returns.
   */
  scope<T>(fn: (scope: Scope) => T, op = "scope", refuse = false): T {
    this.ensureOpen(op);
    if (refuse) refuseAsync(fn, op);
    const handles: Handle[] = [];
    this.scopes.push(handles);
    const scope = new Scope(this, handles);
    let result: T;
    let returned: Handle | undefined;
    try {
      result = fn(scope);
      returned = typeof result === "object" && result !== null ? this.handleOf(result) : undefined;
      if (returned !== undefined && returned.ownership === "borrowed") returned = undefined; // owns nothing
      if (returned !== undefined) {
        // Taken off the list before anything is released: it must survive the scope's end.
        const i = handles.lastIndexOf(returned);
        if (i >= 0) handles.splice(i, 1);
        else returned = undefined; // not this scope's: its owner stays as it was
      }
    } finally {
      this.scopes.pop();
      // Release in creation order, as a CPython frame clears its locals first to last.
      for (const h of handles) h.dispose();
    }
    if (returned !== undefined) this.adopt(returned, addressOf(returned, op));
    if (refuse && isThenable(result)) throw asyncScopeError(op, "returned a promise");
    return result;
  }

  // --- values ---

  encode(value: Value, op: string): number {
    this.encTemp = 0;
    switch (typeof value) {
      case "number":
        this.encIsRef = false;
        return value;
      case "boolean":
        this.encIsRef = true;
        return value ? TRUE : FALSE;
      case "string":
        this.encIsRef = true;
        this.encTemp = newStr(this.engine, value);
        return this.encTemp;
      case "object":
        this.encIsRef = true;
        if (value === null) return NONE;
        if (value instanceof Handle) {
          if (hostOf(value) !== this) {
            throw new HandleError(ErrorCode.WrongHeap, `${op}: the handle belongs to another heap`);
          }
          return addressOf(value, op);
        }
        break;
      case "bigint":
      case "symbol":
      case "function":
        break;
      case "undefined":
        this.encIsRef = true;
        return NONE;
    }
    const proxy = this.faceHandle(value);
    if (proxy !== undefined) return this.encode(proxy, op);
    throw new HeapTypeError(
      `${op}: cannot store ${jsDescription(value)} in the heap (use a number, boolean, string, null or a handle)`,
    );
  }

  decode(p: number): Value {
    const e = this.engine;
    if (!slotIsRef(e, p)) return slotNumber(e, p);
    return this.decodeObject(slotRef(e, p));
  }

  /** The JS value for an object: primitives by value, anything else as a borrowed handle. */
  decodeObject(a: number): Value {
    if (a === 0 || a === NONE) return null;
    if (a === TRUE) return true;
    if (a === FALSE) return false;
    const e = this.engine;
    if (e.typeKind[typeIdOf(e, a)] === Kind.Str) return strValue(e, a);
    return this.borrow(a);
  }

  /**
   * decode for a value that is about to leave its container (a pop's result): an object comes
   * back as a floating handle with a new reference, so it outlives the removal.
   */
  decodeOwned(p: number): Value {
    const e = this.engine;
    if (!slotIsRef(e, p)) return slotNumber(e, p);
    return this.decodeOwnedObject(slotRef(e, p));
  }

  /** decodeObject, but an object as a floating handle with a new reference (see decodeOwned). */
  decodeOwnedObject(a: number): Value {
    if (a === 0 || a === NONE || a === TRUE || a === FALSE) return this.decodeObject(a);
    const e = this.engine;
    if (e.typeKind[typeIdOf(e, a)] === Kind.Str) return strValue(e, a);
    return this.wrap(a, false, true);
  }

  // --- host values ---

  /** Stores a host value and its closer; returns its index (never 0). */
  hostAdd(value: unknown, close: (value: unknown) => void): number {
    const i = this.hostFree.pop() ?? this.hostValues.length;
    this.hostValues[i] = value;
    this.hostClosers[i] = close;
    return i;
  }

  /** Removes host value `i` and runs its closer. */
  hostClose(i: number): void {
    const value = this.hostValues[i];
    const close = this.hostClosers[i];
    this.hostValues[i] = undefined;
    this.hostClosers[i] = undefined;
    this.hostFree.push(i);
    close?.(value);
  }

  // --- closing ---

  /**
   * Closes the heap. The unreleased program-owned handles are listed now, before anything is
   * marked closed, so the report is the same whenever V8 collects: "throw" throws a LeakError
   * with them and the dropped handles' reports, "warn" emits one warning listing them.
   */
  close(): void {
    if (this.closed) return;
    const open = this.policy === "off" ? [] : this.unreleased("close");
    this.closed = true;
    this.fast = fastNow(this);
    const lines = open.map(unreleasedLine);
    const hint = leakHint(this.trackStacks);
    if (this.policy === "throw" && (this.leaks.length > 0 || open.length > 0)) {
      const details = [...this.leaks, ...lines];
      throw new LeakError(
        `heap.close(): ${details.length} leak report(s):\n${details.join("\n")}\n${hint}`,
        details,
        open,
      );
    }
    if (this.policy === "warn" && open.length > 0) {
      const shown = lines.slice(0, MAX_WARNED);
      if (lines.length > MAX_WARNED)
        shown.push(`… and ${lines.length - MAX_WARNED} more (heap.unreleasedHandles() lists them)`);
      emitWarning(
        `refheap: ${open.length} handle(s) were still unreleased at heap.close():\n${shown.join("\n")}\n${hint}`,
      );
    }
  }
}

/** What a leak report tells the program to do (docs/api.md, "Ownership"). */
function leakHint(trackStacks: boolean): string {
  return (
    "To release a handle: dispose() it (or declare it with `using`), store it into a field or container " +
    "(which takes its reference), or make and read it inside heap.scope(() => …), which releases what it made." +
    (trackStacks ? "" : " new Heap({ trackStacks: true }) records where each handle is made.")
  );
}

/** True for a promise or any other thenable. */
function isThenable(value: unknown): boolean {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * A scope's function must be synchronous: refuses an async function (or async generator function)
 * before it runs. A scope cannot follow an async function across its awaits: it would release at
 * the first await what was made before it, and own nothing made after it (another task may be
 * running its own scope by then).
 */
export function refuseAsync(fn: unknown, op: string): void {
  const name = (fn as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  if (name === "AsyncFunction" || name === "AsyncGeneratorFunction") throw asyncScopeError(op, "is async");
}

function asyncScopeError(op: string, what: string): HeapValueError {
  return new HeapValueError(
    `${op}: the function ${what}, but a scope ends when its function returns, so it cannot own handles ` +
      "across an await. In async code, own handles with `using` or `await using` declarations, or release " +
      "them with dispose(); a handle made before an await stays valid until then.",
  );
}

/** How many unreleased handles a close() warning lists one by one. */
const MAX_WARNED = 10;

/** One line of a close() report: the handle's object, and where it was made when known. */
function unreleasedLine(r: HandleReport): string {
  const where = r.made === undefined ? "" : `; it was made at\n${r.made}`;
  return `a handle to a '${r.typeName}' object at ${hex(r.address)} (refcount ${r.refcount}) was not released before close()${where}`;
}

/**
 * The directory of this module's file as stack frames name it (a path or a URL, up to its last
 * slash), read from a frame of its own: the heap's own frames are those in it. Undefined where
 * the frame cannot be read that way (then madeAt keeps whole stacks).
 */
const OWN_DIR = ownDirectory();

function ownDirectory(): string | undefined {
  const frame = new Error().stack?.split("\n")[1];
  if (frame === undefined) return undefined;
  const end = frame.lastIndexOf("/");
  const start =
    Math.max(frame.lastIndexOf("(", end), frame.lastIndexOf(" ", end), frame.lastIndexOf("@", end)) + 1;
  return end > start ? frame.slice(start, end + 1) : undefined;
}

/**
 * The stack a record was made with, from the first frame outside the handle layer: without the
 * Error's own line and the heap's frames (however many calls deep the handle was made).
 */
function madeAt(info: LeakInfo): string | undefined {
  const lines = info.made?.stack?.split("\n").slice(1);
  if (lines === undefined) return undefined;
  const dir = OWN_DIR;
  const first = dir === undefined ? 0 : lines.findIndex((line) => !line.includes(dir));
  // Everything in one bundle with the program's code: keep the whole stack.
  return (first < 0 ? lines : lines.slice(first)).join("\n");
}

/** A process warning (Node), or console.warn where there is no `process` (a browser). */
function emitWarning(message: string): void {
  if (typeof process !== "undefined" && typeof process.emitWarning === "function") {
    process.emitWarning(message, { code: "REFHEAP_LEAKED_HANDLE" });
  } else {
    console.warn(`${message} [REFHEAP_LEAKED_HANDLE]`);
  }
}

/** The record of every program-owned handle when leaks are not watched (its flag is never read). */
const UNWATCHED: LeakRecord = { released: false, slot: -1 };
/** The record of every floating handle listed in HeapContext's #floating (never marked released). */
const FLOATING: LeakRecord = { released: false, slot: -1 };

/**
 * An Error recording where a handle is made: a few frames only. Up to seven are the heap's own
 * (madeAt drops them), the rest the program's. Capturing is the cost of trackStacks: about 14 µs
 * per handle made from optimised code in Node 20 on the development machine, whether 8, 12 or
 * 16 frames are kept (V8 expands each optimised frame's inlined calls).
 */
function madeHere(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 12;
  const e = new Error("handle made here");
  Error.stackTraceLimit = limit;
  return e;
}

/** The argument scope functions receive: lets a handle outlive the scope. */
export class Scope {
  readonly #ctx: HeapContext;
  readonly #handles: Handle[];
  constructor(ctx: HeapContext, handles: Handle[]) {
    this.#ctx = ctx;
    this.#handles = handles;
  }

  /**
   * Returns a new handle to `h`'s object owned by the enclosing scope (or by the program, when
   * this is the outermost scope); `h` itself is still released with this scope.
   */
  escape<H extends Handle>(h: H): H {
    const ctx = this.#ctx;
    const scopes = ctx.scopes;
    const i = scopes.indexOf(this.#handles);
    if (i < 0) throw new HandleError(ErrorCode.HandleReleased, "escape: this scope has already ended");
    const a = addressOf(ctx.handleArg(h, "escape", "the argument"), "escape");
    const inner = scopes.splice(i);
    try {
      return ctx.wrap(a, false) as H;
    } finally {
      scopes.push(...inner);
    }
  }
}
