/**
 * The playground page: pick or write a scenario, record it (in a worker), then step through the
 * trace: the graph, the objects table, the event log, the allocator, and "why is this alive".
 * Every number on the page comes from the trace (docs/playground.md); nothing is computed here
 * but the chain of references from a root (whyAlive).
 */
import { basicSetup, EditorView } from "codemirror";
import {
  explainLogLine,
  PRESETS,
  parseTrace,
  type VizHeap,
  type VizObject,
  type VizStep,
  type VizTrace,
  whyAlive,
} from "../src/viz/index.js";
import { HeapGraph } from "./graph.js";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const GENERATION_COLUMNS = [
  "gen 0",
  "gen 1",
  "gen 2",
  "permanent",
  "untracked",
  "in the collection",
] as const;

interface State {
  trace: VizTrace | null;
  step: number;
  selected: number | null;
}

const state: State = { trace: null, step: 0, selected: null };
const graph = new HeapGraph($("graph"), (addr) => select(addr));
const editor = new EditorView({
  parent: $("editor"),
  extensions: [basicSetup, EditorView.lineWrapping],
  doc: "",
});

// --- recording, in a worker ---

let requestId = 0;
let busy = false;

function startWorker(): Worker {
  const w = new Worker(new URL("./worker.js", import.meta.url));
  w.onmessage = (ev: MessageEvent<{ id: number; trace?: VizTrace; error?: string }>) => {
    busy = false;
    if (ev.data.id !== requestId) return; // an older run's answer
    if (ev.data.error !== undefined) setStatus(ev.data.error, true);
    else loadTrace(ev.data.trace!);
  };
  return w;
}
let worker = startWorker();

function run(title: string): void {
  // A run still recording (a long loop, say) is abandoned: its worker goes, a fresh one starts.
  if (busy) {
    worker.terminate();
    worker = startWorker();
  }
  requestId++;
  busy = true;
  setStatus("recording…", false);
  document.body.dataset.state = "recording";
  worker.postMessage({ id: requestId, text: editor.state.doc.toString(), title });
}

function setStatus(text: string, error: boolean): void {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("error", error);
  if (error) document.body.dataset.state = "error";
}

function loadTrace(trace: VizTrace): void {
  state.trace = trace;
  presetSelect.value = PRESETS.find((p) => p.text === trace.source)?.id ?? "";
  state.selected = null;
  if (trace.source !== null && trace.source !== editor.state.doc.toString()) {
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: trace.source } });
  }
  const range = $<HTMLInputElement>("step-range");
  range.max = String(trace.steps.length - 1);
  graph.load(trace);
  setStatus(`${trace.title}: ${trace.steps.length} steps`, false);
  show(0, true);
  document.body.dataset.state = "ready";
}

// --- one step ---

function show(i: number, fit = false): void {
  const trace = state.trace;
  if (trace === null) return;
  state.step = Math.max(0, Math.min(trace.steps.length - 1, i));
  const step = trace.steps[state.step]!;
  $<HTMLInputElement>("step-range").value = String(state.step);
  $("step-number").textContent = `step ${state.step + 1} of ${trace.steps.length}`;
  $("step-label").textContent = step.label;
  $("step-explanation").textContent = step.explanation;
  if (step.line !== null && step.line <= editor.state.doc.lines) {
    // The scenario line the step belongs to, selected (the editor keeps its focus state).
    editor.dispatch({ selection: { anchor: editor.state.doc.line(step.line).from }, scrollIntoView: true });
  }
  const h = step.heap;
  $("counts").textContent =
    `gc.get_count() = (${h.counts.join(", ")}) · thresholds (${h.thresholds.join(", ")})` +
    (step.collection?.result != null
      ? ` · collected ${step.collection.result.collected}, uncollectable ${step.collection.result.uncollectable}`
      : "");
  const big = h.objects === null;
  $("graph").hidden = big;
  $("summary").hidden = !big;
  if (big) renderSummary(h);
  else graph.show(h, fit);
  renderObjects(h);
  renderLog(trace.steps, state.step);
  renderAllocator(h);
  if (state.selected !== null && !(h.objects ?? []).some((o) => o.addr === state.selected))
    state.selected = null;
  renderSelection(h);
}

function cell(text: string, col: string, num = false): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  td.dataset.col = col;
  if (num) td.className = "num";
  return td;
}

function head(table: HTMLTableElement, cols: readonly (readonly [string, boolean])[]): void {
  const tr = table.createTHead().insertRow();
  for (const [name, num] of cols) {
    const th = document.createElement("th");
    th.textContent = name;
    if (num) th.className = "num";
    tr.append(th);
  }
}

function genText(o: VizObject): string {
  return o.generation === null ? "untracked" : o.generation === "collecting" ? "in gc" : String(o.generation);
}

function renderObjects(h: VizHeap): void {
  const table = $<HTMLTableElement>("objects");
  table.replaceChildren();
  if (h.objects === null) {
    const p = table.insertRow().insertCell();
    p.textContent = `${h.summary.total.toLocaleString("en")} objects: too many to list (see the counts).`;
    return;
  }
  head(table, [
    ["name", false],
    ["type", false],
    ["address", false],
    ["refcount", true],
    ["gen", true],
    ["gc_refs", true],
    ["state", false],
  ]);
  const body = table.createTBody();
  for (const o of h.objects) {
    const tr = body.insertRow();
    tr.dataset.addr = String(o.addr);
    if (o.mark !== null) tr.classList.add(`mark-${o.mark}`);
    if (o.addr === state.selected) tr.classList.add("selected");
    tr.append(
      cell(o.label ?? "", "label"),
      cell(o.type, "type"),
      cell(`0x${o.addr.toString(16)}`, "addr"),
      cell(String(o.refcount), "refcount", true),
      cell(genText(o), "generation", true),
      cell(o.gcRefs === null ? "" : String(o.gcRefs), "gcRefs", true),
      cell([o.mark ?? "", o.finalized ? "finalized" : ""].filter((s) => s !== "").join(", "), "mark"),
    );
    tr.onclick = () => select(o.addr);
  }
}

function renderSummary(h: VizHeap): void {
  const div = $("summary");
  div.replaceChildren();
  const p = document.createElement("p");
  p.textContent = `${h.summary.total.toLocaleString("en")} objects, too many to draw: counts by type and generation.`;
  const table = document.createElement("table");
  table.id = "summary-table";
  head(table, [["type", false], ...GENERATION_COLUMNS.map((c) => [c, true] as const)]);
  const body = table.createTBody();
  for (const [type, row] of Object.entries(h.summary.byType).sort(
    (a, b) => b[1].reduce((x, y) => x + y) - a[1].reduce((x, y) => x + y),
  )) {
    const tr = body.insertRow();
    tr.append(
      cell(type, "type"),
      ...row.map((n, i) => cell(n.toLocaleString("en"), GENERATION_COLUMNS[i]!, true)),
    );
  }
  div.append(p, table);
}

/** A log entry: the words (CPython's), a sentence, and whether it is an event of the run or the collector's report. */
function logItem(words: string, sentence: string, kind: "event" | "gc", current: boolean): HTMLLIElement {
  const li = document.createElement("li");
  const code = document.createElement("code");
  code.textContent = words;
  li.append(code, ` — ${sentence}`);
  li.className = current ? `${kind} current` : kind;
  return li;
}

function renderLog(steps: readonly VizStep[], upTo: number): void {
  const ol = $("log");
  ol.replaceChildren();
  let last: HTMLLIElement | null = null;
  for (let i = 0; i <= upTo; i++) {
    const step = steps[i]!;
    const c = step.collection;
    // The collector's own report, in gc.set_debug(gc.DEBUG_STATS)'s words, with why it started.
    if (c?.phase === "start") {
      last = logItem(`gc: collecting generation ${c.generation}...`, c.reason, "gc", i === upTo);
      ol.append(last);
    }
    for (const line of step.log) {
      last = logItem(line, explainLogLine(line), "event", i === upTo);
      ol.append(last);
    }
    if (c?.phase === "end" && c.result !== null) {
      const { collected, uncollectable } = c.result;
      last = logItem(
        `gc: done, ${collected + uncollectable} unreachable, ${uncollectable} uncollectable`,
        `the collection of generation ${c.generation} ${c.automatic ? "(automatic) " : ""}ended`,
        "gc",
        i === upTo,
      );
      ol.append(last);
    }
  }
  last?.scrollIntoView({ block: "nearest" });
}

function renderAllocator(h: VizHeap): void {
  const div = $("allocator");
  div.replaceChildren();
  const a = h.allocator;
  for (const arena of a.arenas) {
    const title = document.createElement("div");
    title.className = "arena-title";
    const used = arena.pools.filter((p) => p.sizeClass >= 0).length;
    title.textContent = `arena 0x${arena.address.toString(16)}: ${used} pools in use, ${arena.pools.length - used} empty, ${arena.uncarved} not carved`;
    const grid = document.createElement("div");
    grid.className = "arena";
    for (const p of arena.pools) {
      const s = document.createElement("span");
      s.className = p.sizeClass < 0 ? "pool empty" : "pool";
      if (p.sizeClass >= 0) {
        s.style.setProperty("--fill", `${Math.round((100 * p.used) / p.capacity)}%`);
        s.style.setProperty("--hue", String((p.sizeClass * 47) % 360));
        s.title = `size class ${p.sizeClass} (${(p.sizeClass + 1) * 16} bytes): ${p.used} of ${p.capacity} blocks in use`;
      } else {
        s.title = "empty pool";
      }
      grid.append(s);
    }
    for (let i = 0; i < arena.uncarved; i++) {
      const s = document.createElement("span");
      s.className = "pool uncarved";
      grid.append(s);
    }
    div.append(title, grid);
  }
  const note = document.createElement("p");
  note.className = "hint";
  note.textContent = "Each square is a pool: its colour is its size class, its fill the blocks in use.";
  const table = document.createElement("table");
  table.id = "size-classes";
  head(table, [
    ["class", true],
    ["size", true],
    ["pools", true],
    ["blocks in use", true],
    ["available", true],
  ]);
  const body = table.createTBody();
  for (const c of a.sizeClasses) {
    const first = cell(String(c.sizeClass), "class", true);
    first.style.setProperty("--hue", String((c.sizeClass * 47) % 360));
    body
      .insertRow()
      .append(
        first,
        cell(String(c.size), "size", true),
        cell(String(c.pools), "pools", true),
        cell(String(c.blocksInUse), "inUse", true),
        cell(String(c.availableBlocks), "available", true),
      );
  }
  const large = document.createElement("p");
  large.className = "hint";
  large.textContent = `${a.largeBlocks} blocks over 512 bytes (outside pymalloc).`;
  div.append(note, table, large);
}

// --- selection: why is this alive ---

function select(addr: number | null): void {
  state.selected = addr;
  const h = state.trace?.steps[state.step]?.heap;
  if (h === undefined) return;
  renderObjects(h);
  renderSelection(h);
}

function describe(h: VizHeap, addr: number): string {
  const o = (h.objects ?? []).find((x) => x.addr === addr);
  if (o === undefined) return `0x${addr.toString(16)}`;
  return `${o.label !== null && o.label !== "~" ? `${o.label} ` : ""}(${o.type} 0x${addr.toString(16)})`;
}

function renderSelection(h: VizHeap): void {
  const div = $("selection");
  div.replaceChildren();
  const addr = state.selected;
  const o = addr === null ? undefined : (h.objects ?? []).find((x) => x.addr === addr);
  if (addr === null || o === undefined) {
    const p = document.createElement("p");
    p.className = "hint";
    p.textContent = "Click an object in the graph or the table.";
    div.append(p);
    graph.highlight(null, [], null);
    return;
  }
  const what = document.createElement("p");
  what.textContent = `${describe(h, addr)}: refcount ${o.refcount}, ${o.edges.length} references out${o.finalized ? ", __del__ has run" : ""}.`;
  const why = document.createElement("p");
  why.id = "why-alive";
  const found = whyAlive(h, addr);
  if (found === null) {
    why.textContent =
      o.mark !== null
        ? "No name reaches it: only the collection's set holds it."
        : "No name reaches it through strong references: it is kept by a cycle (garbage the collector will find) or by something not drawn.";
    graph.highlight(addr, [], null);
  } else {
    why.className = "path";
    why.textContent = `Why alive: ${found.root} → ${found.path.map((a) => describe(h, a)).join(" → ")}`;
    graph.highlight(addr, found.path, found.root);
  }
  div.append(what, why);
}

// --- controls ---

const presetSelect = $<HTMLSelectElement>("preset");
for (const p of PRESETS) presetSelect.append(new Option(p.title, p.id));
// Shown while the editor or a loaded trace is not a preset.
const OTHER = new Option("(your own)", "", false, false);
OTHER.disabled = true;
presetSelect.append(OTHER);
function loadPreset(id: string): void {
  const p = PRESETS.find((x) => x.id === id) ?? PRESETS[0]!;
  presetSelect.value = p.id;
  editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: p.text } });
  run(p.title);
}
presetSelect.onchange = () => loadPreset(presetSelect.value);
$("run").onclick = () => run("scenario");
$("first").onclick = () => show(0);
$("prev").onclick = () => show(state.step - 1);
$("next").onclick = () => show(state.step + 1);
$("last").onclick = () => show(Number.MAX_SAFE_INTEGER);
$<HTMLInputElement>("step-range").oninput = (ev) => show(Number((ev.target as HTMLInputElement).value));
document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey && ev.key === "Enter") {
    run("scenario");
    ev.preventDefault();
    return;
  }
  if (editor.hasFocus || (ev.target as HTMLElement).tagName === "INPUT") return;
  if (ev.key === "ArrowRight") show(state.step + 1);
  else if (ev.key === "ArrowLeft") show(state.step - 1);
  else if (ev.key === "Home") show(0);
  else if (ev.key === "End") show(Number.MAX_SAFE_INTEGER);
});
$<HTMLInputElement>("load-trace").onchange = async (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  if (file === undefined) return;
  try {
    loadTrace(parseTrace(await file.text()));
  } catch (e) {
    setStatus((e as Error).message, true);
  }
};
window.addEventListener("resize", () => graph.resize());

// A trace to show first (`refheap viz FILE` serves one: ?trace=trace.json), else ?preset=ID or the cycle.
const params = new URLSearchParams(location.search);
const traceUrl = params.get("trace");
if (traceUrl !== null) {
  fetch(traceUrl)
    .then((r) => {
      if (!r.ok) throw new Error(`could not load ${traceUrl}: HTTP ${r.status}`);
      return r.text();
    })
    .then((text) => loadTrace(parseTrace(text)))
    .catch((e: Error) => setStatus(e.message, true));
} else {
  loadPreset(params.get("preset") ?? "cycle");
}
