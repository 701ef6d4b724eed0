/**
 * Typed errors. Every error refheap throws is a {@link RefheapError} with a stable `code`
 * (safe to switch on; never reworded) and a message that says what happened, to which object,
 * and what to do about it.
 */

/** The stable error codes. Values never change once released. */
export const ErrorCode = {
  /** The heap cannot grow any further (`maxBytes` reached): CPython's MemoryError. */
  HeapExhausted: "HEAP_EXHAUSTED",
  /** An address that is not (and never was) the start of an object or a block. */
  InvalidAddress: "INVALID_ADDRESS",
  /** An operation on an object whose memory was already freed. */
  UseAfterFree: "USE_AFTER_FREE",
  /** A block or object released twice. */
  DoubleFree: "DOUBLE_FREE",
  /** A decref that would take a reference count below zero. */
  RefcountUnderflow: "REFCOUNT_UNDERFLOW",
  /** An object or value of the wrong type for the operation (a list passed as a dict, a number in a reference field). */
  WrongType: "WRONG_TYPE",
  /** A bad argument: an out-of-range index, a missing key, a malformed option. */
  InvalidArgument: "INVALID_ARGUMENT",
  /** A handle was used after it was released (disposed). */
  HandleReleased: "HANDLE_RELEASED",
  /** A handle's object is gone and its memory holds another object (references were over-released through the engine). */
  StaleHandle: "STALE_HANDLE",
  /** A handle or value from another heap. */
  WrongHeap: "WRONG_HEAP",
  /** A weak proxy was used after its referent died (Python's ReferenceError). */
  DeadReferent: "DEAD_REFERENT",
  /** The heap was closed. */
  HeapClosed: "HEAP_CLOSED",
  /** `heap.close()` found handles that were never released (leak policy "throw"). */
  LeakedHandles: "LEAKED_HANDLES",
  /** An internal consistency check failed: a bug in refheap, please report it. */
  Internal: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error refheap throws. */
export class RefheapError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = "RefheapError";
  }
}

/** Allocation failed because the heap reached its `maxBytes` limit. The heap is unchanged. */
export class HeapMemoryError extends RefheapError {
  constructor(message: string) {
    super(ErrorCode.HeapExhausted, message);
    this.name = "HeapMemoryError";
  }
}

/** A bad address, a use after free, a double free or a refcount underflow (checked mode). */
export class HeapAccessError extends RefheapError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = "HeapAccessError";
  }
}

/** The analogue of Python's TypeError: the wrong kind of object or value. */
export class HeapTypeError extends RefheapError {
  constructor(message: string) {
    super(ErrorCode.WrongType, message);
    this.name = "HeapTypeError";
  }
}

/** The analogue of Python's ValueError/IndexError/KeyError: a bad argument. */
export class HeapValueError extends RefheapError {
  constructor(message: string) {
    super(ErrorCode.InvalidArgument, message);
    this.name = "HeapValueError";
  }
}

/** The analogue of Python's ReferenceError: a weak proxy whose referent is gone. */
export class HeapReferenceError extends RefheapError {
  constructor(message: string) {
    super(ErrorCode.DeadReferent, message);
    this.name = "HeapReferenceError";
  }
}

/** Misuse of a handle: used after release, stale, from another heap, or the heap is closed. */
export class HandleError extends RefheapError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = "HandleError";
  }
}

/** One unreleased program-owned handle, as `heap.unreleasedHandles()` and a LeakError report it. */
export interface HandleReport {
  /** The object's type ('Node', 'list', …), or '(freed)' if references were over-released behind the handle's back. */
  readonly typeName: string;
  /** The object's address (`handle.address`). */
  readonly address: number;
  /** The object's reference count now (the handle's own reference included); 0 if freed. */
  readonly refcount: number;
  /** Where the handle was made (a stack trace), when the heap tracks stacks; else undefined. */
  readonly made: string | undefined;
}

/**
 * Thrown by `heap.close()` under the "throw" leak policy: `leaks` describes each handle (dropped
 * ones, then the unreleased), `unreleased` lists the handles still unreleased at close().
 */
export class LeakError extends RefheapError {
  readonly leaks: readonly string[];
  readonly unreleased: readonly HandleReport[];
  constructor(message: string, leaks: readonly string[], unreleased: readonly HandleReport[] = []) {
    super(ErrorCode.LeakedHandles, message);
    this.name = "LeakError";
    this.leaks = leaks;
    this.unreleased = unreleased;
  }
}

/** Throws an internal error. Used by `assert`; reaching one is a refheap bug. */
export function internalError(message: string): never {
  throw new RefheapError(ErrorCode.Internal, `refheap internal error: ${message} (please report this)`);
}
