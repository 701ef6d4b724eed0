/**
 * The CPython machinery the refheap runner mirrors (docs/oracle.md, "Mirrors"): Python frames,
 * tracebacks, exceptions and the other objects CPython's interpreter allocates while it runs a
 * scenario, which refheap's engine does not. Each is a real heap object of the kind CPython
 * allocates (a tuple, list or dict where CPython's comes from a freelist, an instance of a private
 * class for the rest), allocated and freed at the moment CPython does, so that generation 0's count
 * and the moment an automatic collection starts stay in step.
 *
 * Frames (CPython 3.11): a Python frame has no heap object until something needs one
 * ("materialises" it). The traceback entry an exception makes for a frame does, and when a frame
 * whose object is still referenced exits, CPython materialises the previous frame too
 * (take_ownership, to link f_back). The module frame is materialised before the baseline. No
 * automatic collection starts while an error is set, but CPython fetches the error around these
 * allocations (_PyFrame_MakeAndSetFrameObject, PyTraceBack_Here, PyErr_NormalizeException,
 * PyErr_WriteUnraisable), so every one of them can start a collection.
 */
import { decref, type Engine, gcUntrack, newDict, newInstance, newList, newTuple } from "../core.js";
import { PyError } from "./pyerror.js";

/** A Python frame: `obj` is the mirror of its frame object, 0 until materialised (-1: not modelled). */
export interface PyFrame {
  obj: number;
  /**
   * Releases what the frame's local variables hold, in co_varnames order, for a frame whose
   * locals the runner mirrors: at its return, after its object (_PyFrame_Clear), or, once an
   * exception took its object along, when that object dies (frame_dealloc).
   */
  clearLocals?: (() => void) | undefined;
}

/** _PyCode_Warmup: how many RESUMEs and JUMP_BACKWARDs a code object runs before it is quickened. */
const QUICKENING_WARMUP_DELAY = 8;

/**
 * A code object's warmup (CPython 3.11's co_warmup): each RESUME and JUMP_BACKWARD it runs counts,
 * and the eighth quickens it (_PyCode_Quicken). Until then its UNPACK_SEQUENCE is the generic one,
 * which unpacks through an iterator, a GC object; once quickened, the first run specializes it
 * (UNPACK_SEQUENCE_TWO_TUPLE), which allocates nothing. Shared by every call of the function, for
 * the life of the interpreter.
 */
export class Code {
  #ticks = 0;

  /** A RESUME (the function starts, or its generator resumes) or a JUMP_BACKWARD (a loop turns). */
  tick(n = 1): void {
    this.#ticks += n;
  }

  get quickened(): boolean {
    return this.#ticks >= QUICKENING_WARMUP_DELAY;
  }
}

export class Machine {
  readonly e: Engine;
  /** The Python frames running, outermost (the module frame) first. */
  readonly frames: PyFrame[] = [{ obj: -1 }];
  readonly #mirrorType: number;

  constructor(e: Engine, mirrorType: number) {
    this.e = e;
    this.#mirrorType = mirrorType;
  }

  // --- allocation ---

  /**
   * A mirror of a GC object CPython allocates outside any freelist (a frame, a traceback, …): an
   * instance of the private class, tracked unless `tracked` is false.
   */
  obj(tracked = true): number {
    const o = newInstance(this.e, this.#mirrorType);
    if (!tracked) gcUntrack(this.e, o);
    return o;
  }

  /** A mirror tuple of `n` items (CPython's freelists serve sizes 1..19), its items NULL. */
  tuple(n: number): number {
    return newTuple(this.e, n);
  }

  /** A mirror list: PyList_New's (from the freelist), or `list(iterable)`'s (allocated outright). */
  list(fromFreelist = true): number {
    return newList(this.e, 0, fromFreelist);
  }

  dict(): number {
    return newDict(this.e);
  }

  /** Releases a mirror (0: nothing). */
  free(o: number): void {
    if (o > 0) decref(this.e, o);
  }

  /**
   * UNPACK_SEQUENCE of a 2-tuple in `code`: the generic instruction's unpack_iterable makes a tuple
   * iterator (an automatic collection can start there) and frees it; the specialized one nothing.
   */
  unpack(code: Code): void {
    if (!code.quickened) this.free(this.obj());
  }

  /** Allocates and frees a tuple of `n` items (an argument tuple that lives only during a call). */
  tupleBlip(n: number): void {
    this.free(this.tuple(n));
  }

  // --- frames ---

  get top(): PyFrame {
    return this.frames[this.frames.length - 1]!;
  }

  /**
   * Materialises frame `f` if it has no object yet. The frame object is created untracked
   * (_PyFrame_New_NoTrack), with the error fetched meanwhile: a collection can start there.
   */
  materialise(f: PyFrame): void {
    if (f.obj === 0) f.obj = this.obj(false);
  }

  /**
   * Runs `fn` as a call of a Python function, its frame on the stack meanwhile. When a PyError
   * leaves the frame, the frame's traceback entry is made (materialising it) and the previous
   * frame is materialised (take_ownership); the frame object then belongs to the traceback.
   * A `persistent` frame (a generator's) keeps its object when it returns normally (yields), and
   * materialises no previous frame when an exception leaves it.
   */
  call<T>(fn: () => T, frame: PyFrame = { obj: 0 }, persistent = false): T {
    this.frames.push(frame);
    let result: T;
    try {
      result = fn();
    } catch (err) {
      if (err instanceof PyError) {
        this.traceback(err, frame, true);
        this.frames.pop();
        // A generator's frame forgets its caller before it is cleared: nothing to link.
        if (!persistent) this.materialise(this.top);
      } else {
        this.frames.pop();
      }
      throw err;
    }
    this.frames.pop();
    if (!persistent) this.releaseFrame(frame);
    return result;
  }

  /** Frees a frame's object (the frame returned, or its generator finished). */
  releaseFrame(frame: PyFrame): void {
    if (frame.obj > 0) {
      const o = frame.obj;
      frame.obj = 0;
      this.free(o);
    }
    frame.clearLocals?.();
  }

  /**
   * The traceback entry `err` gets in `frame` (PyTraceBack_Here): the frame is materialised; an
   * exception leaving the frame takes its object along. The object of
   * a frame the exception leaves is tracked (take_ownership); one made for it here is tracked
   * from the start, as nothing can collect between the two.
   */
  traceback(err: PyError, frame: PyFrame, exiting = false): void {
    if (err.lastFrame !== frame) {
      err.lastFrame = frame;
      if (frame.obj === 0 && exiting) frame.obj = this.obj();
      else this.materialise(frame);
      err.held.push(this.obj());
    }
    if (exiting && frame !== this.frames[0] && frame.obj > 0) {
      err.held.push(frame.obj);
      err.frames.set(frame.obj, frame.clearLocals ?? null);
      frame.clearLocals = undefined;
      frame.obj = 0;
    }
  }

  // --- exceptions ---

  /** What raising `err` allocates where it is raised (the early part of its normalization). */
  raise(err: PyError): PyError {
    if (err.raised) return err;
    err.raised = true;
    if (err.norm === "early") {
      err.args = this.tuple(1);
      err.instance = this.obj();
    } else if (err.norm === "key") {
      err.args = this.tuple(1);
    }
    return err;
  }

  /** A handler in the top frame catches `err`: its traceback entry, then the normalization. */
  catch(err: PyError): void {
    this.raise(err);
    this.traceback(err, this.top);
    this.normalize(err);
  }

  /** The rest of the normalization (PyErr_NormalizeException): args tuple, then the instance. */
  normalize(err: PyError): void {
    if (err.norm === "premade") return;
    if (err.args === 0 && err.norm !== "noargs") err.args = this.tuple(1);
    if (err.instance === 0) err.instance = this.obj();
  }

  /** The handled exception dies: its args, its traceback (and the frame objects it holds), itself. */
  release(err: PyError): void {
    const { args, instance } = err;
    err.args = 0;
    err.instance = 0;
    this.free(args);
    this.#freeHeld(err, err.held);
    this.#freeHeld(err, err.context);
    this.free(instance);
    for (const fn of err.onRelease.splice(0)) fn();
  }

  /**
   * PyErr_WriteUnraisable for `err`, which left a function called from C (a finalizer, a
   * callback): normalization, the hook's argument (a collection can start there), the hook (which
   * logs), then everything is freed.
   */
  unraisable(err: PyError, hook: () => void): void {
    this.raise(err);
    this.normalize(err);
    const arg = this.obj(false);
    hook();
    this.free(arg);
    const { args, instance } = err;
    err.args = 0;
    err.instance = 0;
    this.free(args);
    this.free(instance);
    this.#freeHeld(err, err.held);
    this.#freeHeld(err, err.context);
  }

  /**
   * Frees `list` (err.held or err.context) in CPython's order: tb_dealloc releases its tb_next
   * first, so the innermost entry goes first, each after the frame object it took over (whose
   * locals die just before it, frame_dealloc).
   */
  #freeHeld(err: PyError, list: number[]): void {
    const held = list.splice(0);
    for (let i = 0; i < held.length; i++) {
      const next = held[i + 1];
      if (next !== undefined && err.frames.has(next)) {
        this.#freeFrame(err, next);
        this.free(held[i]!);
        i++;
      } else if (err.frames.has(held[i]!)) {
        this.#freeFrame(err, held[i]!);
      } else {
        this.free(held[i]!);
      }
    }
  }

  #freeFrame(err: PyError, f: number): void {
    const clearLocals = err.frames.get(f);
    err.frames.delete(f);
    clearLocals?.();
    this.free(f);
  }

  /**
   * An error raised from C in the top frame and caught by a handler in the same frame (the
   * `except IndexError: return` of weakref.py's _commit_removals, the `except KeyError` of
   * WeakValueDictionary.get): everything it allocates is freed when the handler ends.
   */
  caughtHere(norm: "late" | "key" | "early"): void {
    const err = new PyError("Exception", "", norm);
    this.catch(err);
    this.release(err);
  }
}
