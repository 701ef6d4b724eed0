/**
 * RefcountHeap: the object heap plus the deallocation machinery's state: the trashcan (CPython's
 * bounded-recursion deferral) and the unraisable hook that receives exceptions thrown by user
 * code running inside a deallocation (finalizers, weakref callbacks).
 */
import type { MemoryOptions } from "../memory/index.js";
import { clearWeakrefList, ObjectHeap, registerBuiltinTypes } from "../object/index.js";
import { writeStderr } from "../util/index.js";

/**
 * Receives an exception that user code threw where it cannot propagate (inside a deallocation
 * or a collection), like Python's sys.unraisablehook. `where` says what raised, in CPython's
 * words, e.g. "<finalizer of 'Node' object at 0x10048>".
 */
export type UnraisableHook = (error: unknown, where: string) => void;

/** The default hook: CPython's "Exception ignored in: …" report, on stderr. */
export const printUnraisable: UnraisableHook = (error, where) => {
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  writeStderr(`Exception ignored in: ${where}\n${detail}\n`);
};

/** CPython's _PyTrash_UNWIND_LEVEL: deallocations nest at most this deep before deferring. */
export const TRASH_UNWIND_LEVEL = 50;

export class RefcountHeap extends ObjectHeap {
  /** Nesting depth of trashcan-participating deallocators now running. */
  trashNesting = 0;
  /** Top of the deferred-deallocation stack (an object address, linked through gc_prev), or 0. */
  trashLater = 0;
  /**
   * Per class whose typeFastDealloc is 1: its generated deallocator (specialize.ts), made at the
   * first deallocation of one of its instances; undefined before that and for other types.
   * @internal
   */
  readonly typeDealloc: (((h: RefcountHeap, o: number) => boolean) | undefined)[] = [];
  unraisableHook: UnraisableHook = printUnraisable;
  /**
   * Called while an instance of a class with host fields is deallocated (after its finalizer,
   * before its reference fields are released) with the object and the slot address of each host
   * field holding a value (non-zero). Installed by the API layer, which owns the host values.
   */
  hostRelease: ((obj: number, slot: number) => void) | null = null;
  /**
   * Called when a class's type object is deallocated, first (type_dealloc_common's moment; a
   * collection has run the callbacks of the weakrefs to it already), with the class's id and type
   * object (refcount 0: do not keep a reference to it). For a runtime's per-class state: CPython removes the class's entry
   * from its base's `__subclasses__` table here, releasing the weakref that entry holds.
   */
  classDeallocHook: ((id: number, typeObject: number) => void) | null = null;
  /** Checked heaps: objects whose finalizer is running (their count of 1 is on loan to it). */
  readonly finalizing: number[] = [];
  /**
   * Checked heaps: values arrays an instance's teardown detached and is releasing (freed when
   * done). User code run by those releases may call the verifier, which must know they are owned.
   */
  readonly releasing: number[] = [];

  constructor(options: MemoryOptions = {}) {
    super(options);
    registerBuiltinTypes(this);
  }

  /**
   * Kills the weakrefs to `o`, which is being deallocated and has a non-empty weakref list
   * (PyObject_ClearWeakRefs). A hook: src/weakref/ overrides it with CPython's algorithm, which
   * runs the callbacks; this fallback only clears them.
   */
  clearWeakrefs(o: number): void {
    clearWeakrefList(this, o);
  }
}
