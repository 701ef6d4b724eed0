import { internalError } from "./errors.js";

/**
 * Debug assertions. `DEBUG` is a plain constant so that a bundler can fold the branches away;
 * the library keeps it on in tests (`REFHEAP_DEBUG=1`) and off otherwise.
 */
export const DEBUG: boolean = typeof process !== "undefined" && process.env?.REFHEAP_DEBUG === "1";

/** Asserts an internal invariant. The reason says what must hold. */
export function assert(cond: boolean, reason: string): asserts cond {
  if (!cond) internalError(reason);
}
