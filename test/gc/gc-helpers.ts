/**
 * Helpers for the collector's tests: running the CPython reference, reading heap values back as
 * Python reprs, attribute access with temporary str keys, and a get_count that allocates its
 * result tuple as CPython's does.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import * as core from "../../src/core.js";

export type Engine = core.Engine;

/**
 * The CPython reference. Each snippet runs as `python3 -c` would run it, in an interpreter of its
 * own, but that interpreter is forked from one python3 process per test file (a fresh python3
 * costs ~0.1 s of CPU here, and the suite runs ~80 snippets). The server has imported only
 * sys, os, io, json and traceback; a snippet's globals are a fresh dict, its stdout and stderr
 * are captured separately, and the child exits without running interpreter shutdown.
 */
const RUNNER = `
import sys, os, io, json, traceback
def run(code):
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = out, err
    try:
        exec(compile(code, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    except BaseException:
        traceback.print_exc()
    return json.dumps([out.getvalue(), err.getvalue()]).encode()
for line in sys.stdin:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        data = run(json.loads(line))
        while data:
            data = data[os.write(w, data):]
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    sys.stdout.buffer.write(b"".join(chunks) + b"\\n")
    sys.stdout.flush()
`;

interface Server {
  proc: ChildProcessWithoutNullStreams;
  pending: ((reply: [string, string]) => void)[];
  buffer: string;
}
let server: Server | null = null;

function startServer(): Server {
  const proc = spawn("python3", ["-c", RUNNER], { stdio: ["pipe", "pipe", "pipe"] });
  const s: Server = { proc, pending: [], buffer: "" };
  proc.stdout.setEncoding("utf8");
  proc.stdout.on("data", (chunk: string) => {
    s.buffer += chunk;
    for (let nl = s.buffer.indexOf("\n"); nl >= 0; nl = s.buffer.indexOf("\n")) {
      const line = s.buffer.slice(0, nl);
      s.buffer = s.buffer.slice(nl + 1);
      s.pending.shift()!(JSON.parse(line) as [string, string]);
    }
  });
  let stderr = "";
  proc.stderr.on("data", (chunk) => {
    stderr += String(chunk);
  });
  proc.on("exit", (code) => {
    if (s.pending.length > 0) throw new Error(`python3 exited with ${code}: ${stderr}`);
  });
  proc.unref();
  return s;
}

/** Runs a snippet under CPython 3.11 (see above); resolves to [stdout, stderr]. */
function pythonRun(code: string): Promise<[string, string]> {
  server ??= startServer();
  const s = server;
  return new Promise((resolve) => {
    s.pending.push(resolve);
    s.proc.stdin.write(`${JSON.stringify(code)}\n`);
  });
}

/** Runs a snippet under CPython 3.11 (see above); resolves to its stdout, trimmed. */
export async function python(code: string): Promise<string> {
  return (await pythonRun(code))[0].trim();
}

/** A checked engine. */
export function newHeap(): Engine {
  return new core.Engine({ checked: true });
}

/**
 * CPython's snippets start with `gc.disable(); gc.collect()`: automatic collection off, and every
 * object created so far (type objects included) moved to generation 2 with counts (0, 0, 0).
 */
export function settle(h: Engine): void {
  core.gc.disable(h);
  core.gc.collect(h);
}

/** `del a, b, …`: releases the caller's reference to each object, in order. */
export function drop(h: Engine, ...objs: number[]): void {
  for (const o of objs) core.decref(h, o);
}

/** setattr(o, name, v) on an instance of a dynamic class. */
export function setAttr(h: Engine, o: number, name: string, v: number, isRef = true): void {
  const key = core.newStr(h, name);
  core.setAttr(h, o, key, v, isRef);
  core.decref(h, key);
}

/** The value slot of attribute `name` (0 if absent). */
export function attrSlot(h: Engine, o: number, name: string): number {
  const key = core.newStr(h, name);
  const p = core.getAttrSlot(h, o, key);
  core.decref(h, key);
  return p;
}

/** A new str object (a new reference). */
export function str(h: Engine, s: string): number {
  return core.newStr(h, s);
}

/** d[k] = v for a str key; `v` is an object unless `isRef` is false. */
export function dictSetStr(h: Engine, d: number, k: string, v: number, isRef = true): void {
  const key = core.newStr(h, k);
  core.dictSetItem(h, d, key, true, v, isRef);
  core.decref(h, key);
}

/** A new tuple holding the given objects (a new reference; the tuple takes its own references). */
export function tupleOf(h: Engine, ...items: { v: number; ref: boolean }[]): number {
  const t = core.newTuple(h, items.length);
  items.forEach((it, i) => {
    core.tupleSetItem(h, t, i, it.v, it.ref);
  });
  return t;
}
export const ref = (v: number) => ({ v, ref: true });
export const num = (v: number) => ({ v, ref: false });

/** The object addresses held by a list (numbers are not expected). */
export function listRefs(h: Engine, l: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < core.listSize(h, l); i++) {
    const p = core.listItemSlot(h, l, i);
    if (!core.slotIsRef(h, p)) throw new Error(`item ${i} is a number`);
    out.push(core.slotRef(h, p));
  }
  return out;
}

/** listRefs of a list the caller owns, then releases the list (for gc.get_objects & co). */
export function takeRefs(h: Engine, l: number): number[] {
  const out = listRefs(h, l);
  core.decref(h, l);
  return out;
}

/** gc.get_objects(generation) as addresses. */
export function objects(h: Engine, generation: unknown = null): number[] {
  return takeRefs(h, core.gc.getObjects(h, generation));
}

/** The name of an object's type ("list", "tuple", or a class name). */
export function typeName(h: Engine, o: number): string {
  return (h.types[core.typeIdOf(h, o)] as core.TypeInfo).name;
}

/** Python's repr of a slot's value (numbers print as Python ints when integral). */
export function slotRepr(h: Engine, p: number): string {
  return core.slotIsRef(h, p) ? repr(h, core.slotRef(h, p)) : String(core.slotNumber(h, p));
}

/** Python's repr for the built-in objects these tests use (instances print as `<Name>`). */
export function repr(h: Engine, o: number): string {
  if (o === core.NONE) return "None";
  if (o === core.TRUE) return "True";
  if (o === core.FALSE) return "False";
  const kind = h.typeKind[core.typeIdOf(h, o)];
  switch (kind) {
    case core.Kind.Str:
      return `'${core.strValue(h, o)}'`;
    case core.Kind.List: {
      const parts: string[] = [];
      for (let i = 0; i < core.listSize(h, o); i++) parts.push(slotRepr(h, core.listItemSlot(h, o, i)));
      return `[${parts.join(", ")}]`;
    }
    case core.Kind.Tuple: {
      const parts: string[] = [];
      for (let i = 0; i < core.tupleSize(h, o); i++) parts.push(slotRepr(h, core.tupleItemSlot(h, o, i)));
      return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(", ")})`;
    }
    default:
      return `<${typeName(h, o)}>`;
  }
}

/**
 * CPython's gc.get_count(): reads the counts, then builds its result, a 3-tuple — a GC
 * allocation (unless a 3-tuple is on the freelist) that shows in the next call — and the caller
 * drops it (onto the freelist). CPython's count snippets (#17–#19) include that allocation.
 */
export function pyGetCount(h: Engine): [number, number, number] {
  const counts = core.gc.getCount(h);
  const t = core.newTuple(h, 3);
  counts.forEach((c, i) => {
    core.tupleSetItem(h, t, i, c, false);
  });
  core.decref(h, t);
  return counts;
}

/** Records the generation of every collection started while `run` runs (gc.callbacks, "start"). */
export function collectionsDuring(h: Engine, run: () => void): number[] {
  const generations: number[] = [];
  const cb: core.GcCallback = (phase, info) => {
    if (phase === "start") generations.push(info.generation);
  };
  h.gcCallbacks.push(cb);
  try {
    run();
  } finally {
    h.gcCallbacks.splice(h.gcCallbacks.indexOf(cb), 1);
  }
  return generations;
}
