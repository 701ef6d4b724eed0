/**
 * The heap drawn with Cytoscape.js: objects as nodes, references as edges (weak ones dashed), the
 * names as root nodes. Positions are laid out once per trace over every object of every step, so
 * nodes stay where they are while the steps go by.
 */
import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import type { VizHeap, VizObject, VizTrace } from "../src/viz/index.js";

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: "node.obj",
    style: {
      shape: "round-rectangle",
      "background-color": "#eef2fb",
      "border-width": 1,
      "border-color": "#7d8fb8",
      label: "data(text)",
      "text-wrap": "wrap",
      "text-valign": "center",
      "font-size": 10,
      "font-family": "ui-monospace, monospace",
      width: 160,
      height: 50,
    },
  },
  { selector: "node.collecting", style: { "background-color": "#f6d365" } },
  { selector: "node.unreachable", style: { "background-color": "#f28b82" } },
  { selector: "node.garbage", style: { "background-color": "#b3261e", color: "white" } },
  { selector: "node.uncollectable", style: { "background-color": "#f29e4c" } },
  {
    selector: "node.root",
    style: {
      shape: "tag",
      "background-color": "#3b6fd8",
      color: "white",
      label: "data(text)",
      "text-valign": "center",
      "font-size": 10,
      width: 44,
      height: 20,
    },
  },
  { selector: "node.selected", style: { "border-width": 3, "border-color": "#1d1d1f" } },
  { selector: "node.onpath", style: { "border-width": 3, "border-color": "#3b6fd8" } },
  {
    selector: "edge",
    style: {
      width: 1.5,
      "line-color": "#8a8a94",
      "target-arrow-color": "#8a8a94",
      "target-arrow-shape": "triangle",
      "curve-style": "bezier",
    },
  },
  {
    selector: "edge.weak",
    style: { "line-style": "dashed", "line-color": "#b9b9c2", "target-arrow-color": "#b9b9c2" },
  },
  { selector: "edge.rootedge", style: { "line-color": "#3b6fd8", "target-arrow-color": "#3b6fd8" } },
  { selector: "edge.onpath", style: { width: 3, "line-color": "#3b6fd8", "target-arrow-color": "#3b6fd8" } },
];

export function objectText(o: VizObject): string {
  const head = `${o.label !== null && o.label !== "~" ? `${o.label}: ` : ""}${o.type}${o.value === null ? "" : ` ${o.value}`}`;
  const gen =
    o.generation === null ? "untracked" : o.generation === "collecting" ? "in gc" : `gen ${o.generation}`;
  const refs = o.gcRefs === null ? "" : ` · gc_refs ${o.gcRefs}`;
  return `${head}\n0x${o.addr.toString(16)}\nrc ${o.refcount} · ${gen}${refs}`;
}

function elementsOf(heap: VizHeap): ElementDefinition[] {
  const out: ElementDefinition[] = [];
  const objects = heap.objects ?? [];
  const present = new Set(objects.map((o) => o.addr));
  for (const r of heap.roots) {
    if (!present.has(r.addr)) continue;
    out.push({ data: { id: `r:${r.name}`, text: r.name }, classes: "root" });
    out.push({
      data: { id: `re:${r.name}`, source: `r:${r.name}`, target: `o${r.addr}` },
      classes: "rootedge",
    });
  }
  for (const o of objects) {
    out.push({
      data: { id: `o${o.addr}`, text: objectText(o), addr: o.addr },
      classes: `obj ${o.mark ?? ""}`,
    });
  }
  for (const o of objects) {
    o.edges.forEach((e, i) => {
      if (!present.has(e.to)) return;
      out.push({
        data: { id: `e${o.addr}-${i}`, source: `o${o.addr}`, target: `o${e.to}`, from: o.addr, to: e.to },
        classes: e.weak ? "weak" : "",
      });
    });
  }
  return out;
}

/** Positions for every node of every step (a breadth-first layout of their union, from the roots). */
function layoutTrace(trace: VizTrace): Map<string, { x: number; y: number }> {
  const union = new Map<string, ElementDefinition>();
  for (const s of trace.steps) for (const el of elementsOf(s.heap)) union.set(el.data.id!, el);
  const cy = cytoscape({ headless: true, styleEnabled: false, elements: [...union.values()] });
  const roots = cy.nodes(".root");
  // The box breadthfirst spreads the levels over: about 150 by 90 units per node of the widest level.
  const depth = new Map<string, number>();
  let frontier = roots.length > 0 ? roots : cy.nodes().roots();
  frontier.forEach((n) => {
    depth.set(n.id(), 0);
  });
  for (let d = 1; frontier.length > 0; d++) {
    frontier = frontier.outgoers("node").filter((n) => !depth.has(n.id()));
    frontier.forEach((n) => {
      depth.set(n.id(), d);
    });
  }
  const perLevel = new Map<number, number>();
  cy.nodes().forEach((n) => {
    const d = depth.get(n.id()) ?? -1;
    perLevel.set(d, (perLevel.get(d) ?? 0) + 1);
  });
  const widest = Math.max(1, ...perLevel.values());
  if (widest <= 12 && perLevel.size <= 12) {
    cy.layout({
      name: "breadthfirst",
      directed: true,
      roots: roots.length > 0 ? roots : undefined,
      boundingBox: { x1: 0, y1: 0, w: widest * 190, h: perLevel.size * 100 },
      avoidOverlap: true,
      animate: false,
    } as cytoscape.LayoutOptions).run();
  } else {
    // Wide or deep (a long chain, many names): a force-directed layout folds it into a square.
    // Started from a grid in walk order, without randomness, so a trace always looks the same.
    const side = Math.ceil(Math.sqrt(cy.nodes().length));
    const order = [...cy.nodes()].sort((a, b) => (depth.get(a.id()) ?? 1e9) - (depth.get(b.id()) ?? 1e9));
    order.forEach((n, i) => {
      n.position({ x: (i % side) * 200, y: Math.floor(i / side) * 110 });
    });
    cy.layout({
      name: "cose",
      randomize: false,
      animate: false,
      nodeDimensionsIncludeLabels: false,
      idealEdgeLength: () => 120,
      nodeRepulsion: () => 400_000,
      numIter: 1500,
    } as cytoscape.LayoutOptions).run();
  }
  const pos = new Map<string, { x: number; y: number }>();
  cy.nodes().forEach((n) => {
    pos.set(n.id(), { ...n.position() });
  });
  cy.destroy();
  return pos;
}

export class HeapGraph {
  readonly #cy: Core;
  #positions = new Map<string, { x: number; y: number }>();
  #fittedSize = "";

  constructor(container: HTMLElement, onSelect: (addr: number | null) => void) {
    this.#cy = cytoscape({ container, style: STYLE, minZoom: 0.05, maxZoom: 3 });
    this.#cy.on("tap", (ev) => {
      const t = ev.target as cytoscape.NodeSingular | Core;
      if (t === this.#cy) onSelect(null);
      else if ((t as cytoscape.NodeSingular).isNode?.() && (t as cytoscape.NodeSingular).hasClass("obj")) {
        onSelect((t as cytoscape.NodeSingular).data("addr") as number);
      }
    });
  }

  /** A new trace: lay it out. */
  load(trace: VizTrace): void {
    this.#positions = layoutTrace(trace);
  }

  /** Zoom and pan so that every position of the trace is in view (the view stays put while stepping). */
  #fitAll(): void {
    const cy = this.#cy;
    if (this.#positions.size === 0) return;
    let x1 = Infinity;
    let y1 = Infinity;
    let x2 = -Infinity;
    let y2 = -Infinity;
    for (const p of this.#positions.values()) {
      x1 = Math.min(x1, p.x - 85);
      x2 = Math.max(x2, p.x + 85);
      y1 = Math.min(y1, p.y - 30);
      y2 = Math.max(y2, p.y + 30);
    }
    const w = cy.width();
    const h = cy.height();
    const zoom = Math.min(1.5, Math.max(0.05, Math.min((w - 20) / (x2 - x1), (h - 20) / (y2 - y1))));
    cy.viewport({ zoom, pan: { x: w / 2 - zoom * ((x1 + x2) / 2), y: h / 2 - zoom * ((y1 + y2) / 2) } });
  }

  /** Draws one step's heap; `fit` re-centres the view. */
  show(heap: VizHeap, fit: boolean): void {
    const cy = this.#cy;
    cy.resize(); // the panel's height changes with the length of the step's explanation
    cy.batch(() => {
      cy.elements().remove();
      const els = elementsOf(heap).map((el) =>
        el.data.source === undefined
          ? { ...el, position: this.#positions.get(el.data.id!) ?? { x: 0, y: 0 } }
          : el,
      );
      cy.add(els);
    });
    // Re-fit on a new trace, or when the panel changed size (the user's zoom stays otherwise).
    const size = `${cy.width()}x${cy.height()}`;
    if (fit || size !== this.#fittedSize) this.#fitAll();
    this.#fittedSize = size;
  }

  /** Marks the selected object and the chain from a root to it. */
  highlight(selected: number | null, path: readonly number[], root: string | null): void {
    const cy = this.#cy;
    cy.elements().removeClass("selected onpath");
    if (selected !== null) cy.$id(`o${selected}`).addClass("selected");
    if (root !== null && path.length > 0) {
      cy.$id(`r:${root}`).addClass("onpath");
      cy.$id(`re:${root}`).addClass("onpath");
    }
    for (let i = 0; i < path.length; i++) {
      cy.$id(`o${path[i]}`).addClass("onpath");
      if (i + 1 < path.length) {
        cy.edges(`[from = ${path[i]}][to = ${path[i + 1]}]`)
          .filter((e) => !e.hasClass("weak"))
          .addClass("onpath");
      }
    }
  }

  resize(): void {
    this.#cy.resize();
  }
}
