/**
 * Python exceptions as the refheap runner raises them (docs/oracle.md, `error LINE Type: message`),
 * with what CPython 3.11 allocates for one, which the runner mirrors (see machine.ts).
 */
import { HeapReferenceError, HeapTypeError, HeapValueError } from "../core.js";

/**
 * When CPython builds the exception object (its args 1-tuple and the instance), relative to the
 * traceback entries made while it unwinds: `early` (normalized where it is raised: NameError,
 * AttributeError from a failed getattr), `key` (a KeyError a dict raises: the args tuple where it
 * is raised, the instance where it is caught), `late` (both where it is caught: PyErr_SetString
 * and friends), `noargs` (PyErr_SetNone: the instance only, where it is caught), `premade` (an
 * existing instance is raised: nothing is allocated for it).
 */
export type Normalization = "early" | "key" | "late" | "noargs" | "premade";

/** A Python exception raised by the model of a scenario line. */
export class PyError extends Error {
  override readonly name = "PyError";
  /** The exception's class name (`KeyError`). */
  readonly pyType: string;
  /** What the log prints after the colon (for KeyError: the formatted key). */
  readonly text: string;
  readonly norm: Normalization;
  /** The mirrors of the exception's args tuple and instance, once allocated (0 before). */
  args = 0;
  instance = 0;
  /**
   * The mirrors of the traceback entries it holds, each followed by the frame object it took
   * over, if any (`frames`), innermost first; before them, what its args tuple holds.
   */
  readonly held: number[] = [];
  /**
   * The frame objects among `held` (and `context`), each with what it does to the frame's locals
   * when it dies, if the runner mirrors them (PyFrame.clearLocals).
   */
  readonly frames = new Map<number, (() => void) | null>();
  /** What its __context__ exception holds (args, traceback entries and frames, instance), released after the rest. */
  readonly context: number[] = [];
  /**
   * Run when it dies, after its traceback: what the frame objects it took over still hold (a
   * generator's locals).
   */
  readonly onRelease: (() => void)[] = [];
  /** Set once the model allocated what raising it allocates. */
  raised = false;
  /** The frame its last traceback entry was made for (a re-raise in the same frame adds none). */
  lastFrame: object | null = null;

  constructor(pyType: string, text: string, norm: Normalization = "late") {
    super(`${pyType}: ${text}`);
    this.pyType = pyType;
    this.text = text;
    this.norm = norm;
  }
}

export function nameError(name: string): PyError {
  return new PyError("NameError", `name '${name}' is not defined`, "early");
}

export function attributeError(typeName: string, attr: string): PyError {
  return new PyError("AttributeError", `'${typeName}' object has no attribute '${attr}'`, "early");
}

export function typeError(text: string): PyError {
  return new PyError("TypeError", text, "late");
}

export function referenceError(): PyError {
  return new PyError("ReferenceError", "weakly-referenced object no longer exists", "late");
}

/**
 * A refheap error as the Python exception it stands for: HeapTypeError is TypeError,
 * HeapReferenceError ReferenceError, and a HeapValueError whose message is a traceback's last
 * line (`KeyError: 'k'`) that exception. `keyText` formats a KeyError's key as the log prints it.
 * Anything else is not a Python error (a bug): null.
 */
export function fromRefheap(e: unknown, keyText?: string): PyError | null {
  if (e instanceof PyError) return e;
  if (e instanceof HeapTypeError) return typeError(e.message);
  if (e instanceof HeapReferenceError) return referenceError();
  if (e instanceof HeapValueError) {
    const m = /^(KeyError|ValueError|IndexError|RuntimeError): (.*)$/s.exec(e.message);
    if (m !== null) {
      if (m[1] === "KeyError") return new PyError("KeyError", keyText ?? m[2]!, "key");
      return new PyError(m[1]!, m[2]!, "late");
    }
    // dictiter_iternextitem's and setiter_iternext's RuntimeError (Objects/dictobject.c, setobject.c)
    if (
      e.message === "dictionary changed size during iteration" ||
      e.message === "Set changed size during iteration"
    ) {
      return new PyError("RuntimeError", e.message, "late");
    }
    return new PyError("ValueError", e.message, "late");
  }
  return null;
}
