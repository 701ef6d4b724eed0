/**
 * W4's runs and report: bytes per object, from refheap's allocator accounting (w4.ts, in this
 * process: it is exact), V8's heap growth (node children) and CPython's tracemalloc
 * (bench/python/w4.py).
 */
import { PY_SCRIPTS, runPython, spawnJsChild } from "./children.js";
import type { BenchContext } from "./config.js";
import {
  type Block,
  blockLines,
  type ChartSpec,
  machineInfo,
  noteLines,
  type Section,
  type Summary,
  sectionHeader,
  summarize,
  summaryDataset,
  tableBlock,
  times,
} from "./report.js";
import { refheapBytesPerObject, v8BytesPerObject, W4_CHILD_ID, W4_N, W4_SHAPES, type W4Shape } from "./w4.js";

/** V8's figures come from child processes (memory, not time: three agree closely). */
const W4_V8_REPS = 3;

// --- the child's side ------------------------------------------------------------------------

interface W4ChildResult {
  id: string;
  bytes: Record<W4Shape, number>;
}

/** The child's side of W4: V8's bytes per object for each shape. */
export function runW4Child(): void {
  const bytes = Object.fromEntries(W4_SHAPES.map((s) => [s, v8BytesPerObject(s)])) as Record<W4Shape, number>;
  const out: W4ChildResult = { id: W4_CHILD_ID, bytes };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Whether `id` names the W4 child. */
export const isW4ChildId = (id: string): boolean => id === W4_CHILD_ID;

function isW4ChildResult(json: unknown): json is W4ChildResult {
  const o = json as Partial<W4ChildResult> | null;
  return o?.id === W4_CHILD_ID && W4_SHAPES.every((s) => typeof o.bytes?.[s] === "number");
}

// --- CPython ---------------------------------------------------------------------------------

/** CPython's figures per shape name, from bench/python/w4.py's JSON. */
function pyW4Shapes(json: Record<string, unknown>): Map<string, { tracedBytes: number; getsizeof: number }> {
  const shapes = new Map<string, { tracedBytes: number; getsizeof: number }>();
  const list: unknown[] = Array.isArray(json.shapes) ? json.shapes : [];
  for (const x of list) {
    const o = x as { name?: unknown; tracedBytes?: unknown; getsizeof?: unknown };
    if (typeof o.name === "string" && typeof o.tracedBytes === "number" && typeof o.getsizeof === "number")
      shapes.set(o.name, { tracedBytes: o.tracedBytes, getsizeof: o.getsizeof });
  }
  return shapes;
}

// --- the run and its report ------------------------------------------------------------------

interface W4Row {
  shape: W4Shape;
  refheapUnchecked: number;
  refheapChecked: number;
  v8: Summary & { samples: number[] };
  cpythonTracemalloc: number | null;
  cpythonGetsizeof: number | null;
}

/** W4 measured and reported: its section of the report. */
export function w4Section({ cfg, progress }: BenchContext): Section {
  progress.begin(`W4: bytes per object, ${W4_N.toLocaleString("en-US")} of each shape`, W4_V8_REPS + 1);
  const v8 = new Map<W4Shape, number[]>(W4_SHAPES.map((s) => [s, []]));
  for (let r = 0; r < W4_V8_REPS; r++) {
    const child = spawnJsChild(progress, "W4 V8", ["--child", W4_CHILD_ID], isW4ChildResult);
    for (const s of W4_SHAPES) v8.get(s)!.push(child.bytes[s]);
  }
  const py = runPython(progress, cfg.python, PY_SCRIPTS.w4, ["--n", String(W4_N)]);
  const notes: string[] = [];
  if (!py.ok) notes.push(`CPython skipped: ${py.why}`);
  const pyShapes = py.ok
    ? pyW4Shapes(py.json)
    : new Map<string, { tracedBytes: number; getsizeof: number }>();
  const rows: W4Row[] = W4_SHAPES.map((shape) => {
    const samples = v8.get(shape)!;
    return {
      shape,
      refheapUnchecked: refheapBytesPerObject(shape, false),
      refheapChecked: refheapBytesPerObject(shape, true),
      v8: { ...summarize(samples), samples },
      cpythonTracemalloc: pyShapes.get(shape)?.tracedBytes ?? null,
      cpythonGetsizeof: pyShapes.get(shape)?.getsizeof ?? null,
    };
  });
  const pyInfo = py.ok ? { version: py.version, implementation: py.implementation } : null;
  const machine = machineInfo(pyInfo, true);
  notes.push(
    "refheap: the growth of the allocator's bytes in allocated blocks (small blocks at their size class's " +
      "size, large blocks at theirs) while the objects are made; exact, the same on every run.",
    "CPython: tracemalloc's traced bytes over the same loop (the size each allocation asked for, GC header " +
      "included, before pymalloc rounds it up to a multiple of 16); sys.getsizeof for comparison.",
    `V8: growth of process.memoryUsage().heapUsed across forced collections, median of ${W4_V8_REPS} processes ` +
      "(min–max in brackets); the shapes are a class with one field, a class with three fields, an array of null.",
    "shapes: a class with one reference field, unset (CPython: __slots__ = ('other',)); a dynamic class whose " +
      "instances get attributes a, b, c = None (CPython: a plain class); a list built by n appends of None, per item.",
    "a plain instance's attributes are in a values array indexed by its class's shared keys in both (32 bytes " +
      "for three); refheap's instance is 32 bytes where CPython's is 64 (4-byte header and GC words, the " +
      "attrs and weakref words inside the object rather than a pre-header).",
  );
  const b = (x: number | null): string => (x === null ? "—" : x.toFixed(1));
  const table = [
    [
      "shape",
      "refheap unchecked",
      "refheap checked",
      "V8 median (min–max)",
      "CPython tracemalloc",
      "CPython getsizeof",
      "refheap × CPython",
    ],
    ...rows.map((r) => [
      r.shape,
      b(r.refheapUnchecked),
      b(r.refheapChecked),
      `${b(r.v8.median)} (${b(r.v8.min)}–${b(r.v8.max)})`,
      b(r.cpythonTracemalloc),
      b(r.cpythonGetsizeof),
      times(r.cpythonTracemalloc === null ? null : r.refheapUnchecked / r.cpythonTracemalloc),
    ]),
  ];
  const blocks: Block[] = [
    ...sectionHeader(`W4 — bytes per object (${W4_N.toLocaleString("en-US")} of each shape)`, machine, ""),
    "",
    tableBlock(table),
    "",
    ...noteLines(notes),
  ];
  const json = {
    machine,
    config: { n: W4_N, v8Processes: W4_V8_REPS },
    results: rows.map((r) => ({
      ...r,
      ratioVsCPython: r.cpythonTracemalloc === null ? null : r.refheapUnchecked / r.cpythonTracemalloc,
    })),
    notes,
  };
  const charts: ChartSpec[] = [
    {
      title: "W4 — bytes per object",
      unit: "bytes",
      labels: rows.map((r) => r.shape),
      datasets: [
        { label: "refheap (allocator accounting)", data: rows.map((r) => r.refheapUnchecked) },
        summaryDataset(
          "V8 (heap growth)",
          rows.map((r) => r.v8),
        ),
        { label: "CPython 3.11 (tracemalloc)", data: rows.map((r) => r.cpythonTracemalloc) },
      ],
    },
  ];
  return { json, lines: blockLines(blocks), blocks, charts };
}
