/**
 * A scenario of the oracle's language (docs/oracle.md) recorded as a trace: the oracle's refheap
 * runner runs it, exactly as in a differential run, and the recorder pictures the heap after each
 * line and at each phase of each collection. The scenario's names are the roots; its labelled
 * objects (and what they reference) are drawn, the runner's own machinery is not.
 */
import { DEFAULT_LONG_LIVED, isName, type Op, runScenario, type ScenarioView } from "../oracle/browser.js";
import type { VizTrace } from "./format.js";
import { Recorder } from "./recorder.js";

export interface RecordScenarioOptions {
  /** The trace's title (default "scenario"). */
  readonly title?: string;
  /** The most objects a step draws (the recorder's default: 2000). */
  readonly maxObjects?: number;
}

/** Runs `text` on refheap and returns its trace. Throws the parser's error for a malformed scenario. */
export function recordScenario(text: string, options: RecordScenarioOptions = {}): VizTrace {
  const names = [
    ...new Set(
      text
        .split(/\s+/)
        .flatMap((t) => t.split(/[.:=]/))
        .filter(isName),
    ),
  ];
  let view: ScenarioView | null = null;
  let recording = false;
  const rec = new Recorder({
    roots: () => rootsOf(view!, names),
    label: (a) => view!.label(a) ?? undefined,
    seeds: () => view!.labelled(),
    log: () => view?.log ?? [],
    ...(options.maxObjects === undefined ? {} : { maxObjects: options.maxObjects }),
  });
  runScenario(text, {
    longLived: DEFAULT_LONG_LIVED,
    observer: {
      trace(ev, v) {
        view = v;
        if (recording) rec.sink(ev);
      },
      ready(v) {
        view = v;
        rec.attach(v.engine);
        recording = true;
        rec.step(
          "start",
          "The classes are defined and the interpreter's long-lived objects made (the baseline); nothing of the scenario exists yet.",
        );
      },
      beforeLine(op) {
        rec.setLine(op.line);
      },
      line(op) {
        rec.step(opText(op), explainOp(op));
      },
    },
  });
  rec.setLine(null);
  rec.step("end", "Every iterator still open is closed; `alive` lists what is left.");
  return rec.trace(options.title ?? "scenario", text);
}

function rootsOf(view: ScenarioView, names: readonly string[]): [string, number][] {
  const out: [string, number][] = [];
  for (const n of names) {
    const a = view.bound(n);
    if (a !== null) out.push([n, a]);
  }
  return out;
}

function opText(op: Op): string {
  return [op.op, ...op.args].join(" ");
}

/** One sentence for a body line, in Python. */
function explainOp(op: Op): string {
  const a = op.args;
  switch (op.op) {
    case "new":
      return `${a[0]} = ${a[1]}()${a[2] !== undefined ? ` (with ${a[2]})` : ""}`;
    case "list":
      return `${a[0]} = [${a.slice(1).join(", ")}]`;
    case "tuple":
      return `${a[0]} = (${a.slice(1).join(", ")}${a.length === 2 ? "," : ""})`;
    case "dict":
      return `${a[0]} = a dict of ${a.length - 1} value(s)`;
    case "let":
      return `${a[0]} = ${a[1]}`;
    case "del":
      return `del ${a.join(", ")}: the names go; an object whose count reaches 0 is freed at once`;
    case "set":
      return `${a[0]} = ${a[1]}`;
    case "unset":
      return `del ${a[0]}`;
    case "append":
      return `${a[0]}.append(${a[1]})`;
    case "ref":
      return `${a[0]} = weakref.ref(${a[1]}${a.length > 2 ? ", callback" : ""})`;
    case "proxy":
      return `${a[0]} = weakref.proxy(${a[1]}${a.length > 2 ? ", callback" : ""})`;
    case "collect":
      return `gc.collect(${a[0] ?? ""})`;
    case "loop":
      return `${a[0]} times ${a[1]}()${a[3] !== undefined ? `, each appended to ${a[3]}` : ""}`;
    case "enable":
    case "disable":
    case "freeze":
    case "unfreeze":
      return `gc.${op.op}()`;
    case "threshold":
      return `gc.set_threshold(${a.join(", ")})`;
    case "show":
      return "a query: its answer is in the log";
    default:
      return opText(op);
  }
}
