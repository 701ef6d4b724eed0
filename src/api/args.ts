/**
 * Argument checks for the public API: a misuse is a typed error that names the argument and what
 * was expected, never a plain TypeError from deep inside (TypeScript's types say the same, but
 * JavaScript callers and `as` casts get past them).
 */
import { HeapTypeError } from "../util/index.js";
import { jsDescription } from "./handle.js";

/** `value` must be a function (a callback, a class's finalizer, a scope's body). */
export function argFunction(value: unknown, op: string, what: string): void {
  if (typeof value !== "function") {
    throw new HeapTypeError(`${op}: ${what} must be a function; got ${jsDescription(value)}`);
  }
}

/** `value` must be null, undefined or a function (an optional callback). */
export function argOptionalFunction(value: unknown, op: string, what: string): void {
  if (value !== null && value !== undefined) argFunction(value, op, what);
}

/** `value` must be an object (an options bag, an init object), not null. */
export function argObject(value: unknown, op: string, what: string): void {
  if (typeof value !== "object" || value === null) {
    throw new HeapTypeError(`${op}: ${what} must be an object; got ${jsDescription(value)}`);
  }
}

/** `value` must be iterable (items to store). */
export function argIterable(value: unknown, op: string, what: string): void {
  if (typeof value !== "object" || value === null || !(Symbol.iterator in value)) {
    throw new HeapTypeError(`${op}: ${what} must be iterable; got ${jsDescription(value)}`);
  }
}

/** `value` must be a string. */
export function argString(value: unknown, op: string, what: string): void {
  if (typeof value !== "string") {
    throw new HeapTypeError(`${op}: ${what} must be a string; got ${jsDescription(value)}`);
  }
}

/** A sequence index: an integer (CPython's TypeError "list indices must be integers"). */
export function argIndex(value: unknown, op: string, kind: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new HeapTypeError(`${op}: ${kind} indices must be integers; got ${jsDescription(value)}`);
  }
  return value;
}
