/**
 * One-line explanations, in CPython's words, of the collector's phases (gc_collect_main in
 * Modules/gcmodule.c) and of the oracle's event-log lines (docs/oracle.md, "The event log").
 */
import type { GcPhase } from "../index.js";

/** Why a collection of `generation` started. `counts` and `thresholds` are read as it starts. */
export function explainStart(
  generation: number,
  automatic: boolean,
  counts: readonly number[],
  thresholds: readonly number[],
): string {
  if (!automatic) {
    return `gc.collect(${generation}) starts a collection of generation ${generation}${
      generation > 0 ? " and every younger one" : ""
    }.`;
  }
  const why =
    generation === 0
      ? `generation 0's count (allocations less deallocations of tracked objects) is ${counts[0]}, over its threshold ${thresholds[0]}`
      : `generation ${generation}'s count (collections of generation ${generation - 1} since its last one) is ${counts[generation]}, over its threshold ${thresholds[generation]}`;
  return `An allocation starts an automatic collection of generation ${generation}: ${why}.`;
}

/** What a phase did; `objects` is the size of the list it produced (the trace's phase-end count). */
export function explainPhase(phase: GcPhase, objects: number, generation: number): string {
  switch (phase) {
    case "merge":
      return generation === 0
        ? `The set to examine is generation 0: ${objects} objects.`
        : `Generations 0 to ${generation - 1} are spliced onto generation ${generation}: the set to examine holds ${objects} objects.`;
    case "update-refs":
      return "update_refs: each object's gc_refs starts as its reference count.";
    case "subtract-refs":
      return "subtract_refs: each reference from one object of the set to another takes one from the target's gc_refs; what is left counts references from outside the set.";
    case "move-unreachable":
      return `move_unreachable: objects with gc_refs > 0, and all they reach, are reachable; the other ${objects} are tentatively unreachable.`;
    case "survivors":
      return generation < 2
        ? `The reachable objects survive and move to generation ${generation + 1}.`
        : "The reachable objects survive and stay in generation 2.";
    case "legacy-finalizers":
      return `Objects with a legacy finalizer (tp_del), and what they reach, are set aside as uncollectable: ${objects}.`;
    case "weakrefs":
      return "handle_weakrefs: weak references to unreachable objects are cleared; callbacks of weakrefs that are themselves reachable run.";
    case "finalize":
      return "finalize_garbage: each unreachable object's __del__ runs, once per object (PEP 442).";
    case "resurrection":
      return `handle_resurrected_objects: a finalizer may have made objects reachable again, and those survive; ${objects} are garbage.`;
    case "delete":
      return "delete_garbage: each garbage object is cleared (tp_clear), releasing its references, and the cycles are freed.";
    default:
      return phase;
  }
}

/** An event-log line in words (the oracle's log: docs/oracle.md). */
export function explainLogLine(line: string): string {
  const w = line.split(" ");
  switch (w[0]) {
    case "baseline":
      return `the heap starts with ${w[1]} long-lived objects in generation 2, as CPython's interpreter does`;
    case "collect":
      return `gc.collect(${w[1]}) returned ${w[3]}`;
    case "auto": {
      const c = line.match(/collected=(\d+) uncollectable=(\d+)/);
      return `an automatic collection of generation ${w[1]} ended: ${c?.[1]} collected, ${c?.[2]} uncollectable`;
    }
    case "del":
      return `${w[1]}.__del__() ran`;
    case "cb":
      return `the callback of weakref ${w[1]} ran`;
    case "finalize":
      return `weakref.finalize ${w[1]} called its function`;
    case "gccb":
      return `a gc.callbacks entry ran (${w[1]}, generation ${w[2]})`;
    case "unraisable":
      return `an exception in ${w.slice(1).join(" ")} went to sys.unraisablehook`;
    case "error":
      return `line ${w[1]} raised ${w.slice(2).join(" ")}`;
    case "alive":
      return "the objects still alive at the end";
    default:
      return "a query's answer";
  }
}
