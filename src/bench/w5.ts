/**
 * W5: walk a linked list of 1,000,000 nodes (BenchConfig.w5Nodes), reading each node's number and its `next`, the way
 * ordinary code does (`for (let p = head; p; p = p.next)`). Variants: plain V8 objects, refheap
 * through handles written as ordinary TypeScript (each read is a borrowed handle, nothing to
 * release; with the default leak policy and with `leaks: "off"`), and refheap's engine API
 * (addresses, no handles). The
 * chain is built once per process, untimed; each timed round is one walk.
 * Only the package's public entries are imported, so this measures what users get from dist/.
 */
import { decref, Engine, fieldItemSlot, gc, newInstance, setField, slotNumber, slotRef } from "../core.js";
import { Heap, type InstanceOf } from "../index.js";
import { cpuNs } from "./clock.js";

export const W5_VARIANTS = [
  { id: "w5-v8", name: "V8 objects (p = p.next)" },
  { id: "w5-handles", name: "refheap handles, default leak policy (borrowed reads)" },
  { id: "w5-handles-off", name: 'refheap handles, leaks: "off" (borrowed reads)' },
  { id: "w5-engine", name: "refheap engine API (addresses)" },
] as const;
export type W5Id = (typeof W5_VARIANTS)[number]["id"];

/** One variant in this process: `walk()` walks the whole chain once and returns the sum of its numbers. */
interface W5Walker {
  walk(): number;
}

class V8Node {
  readonly n: number;
  readonly next: V8Node | null;
  constructor(n: number, next: V8Node | null) {
    this.n = n;
    this.next = next;
  }
}

function v8Walker(n: number): W5Walker {
  let head: V8Node | null = null;
  for (let i = 0; i < n; i++) head = new V8Node(i, head);
  return {
    walk() {
      let s = 0;
      for (let p = head; p !== null; p = p.next) s += p.n;
      return s;
    },
  };
}

function handleWalker(n: number, leaksOff: boolean): W5Walker {
  const heap = new Heap({ checked: false, leaks: leaksOff ? "off" : "warn" });
  heap.gc.disable();
  const Node = heap.defineClass("Node", { fields: { n: "number", next: "self" } });
  let head: InstanceOf<typeof Node> | null = null;
  // Each new node takes the previous head (a floating handle: the store sinks it).
  for (let i = 0; i < n; i++) head = Node.new({ n: i, next: head });
  const first = head;
  return {
    walk() {
      let s = 0;
      for (let p = first; p !== null; p = p.next) s += p.n;
      return s;
    },
  };
}

function engineWalker(n: number): W5Walker {
  const h = new Engine({ checked: false });
  gc.disable(h);
  const Node = h.defineClass({
    name: "Node",
    fields: [
      { name: "n", kind: "number" },
      { name: "next", kind: "ref" },
    ],
  });
  let head = 0;
  for (let i = 0; i < n; i++) {
    const node = newInstance(h, Node.id);
    setField(h, node, 0, i, false);
    if (head !== 0) {
      setField(h, node, 1, head, true);
      // The chain owns every node but the head; the walk reads, it takes no references.
      decref(h, head);
    }
    head = node;
  }
  return {
    walk() {
      let s = 0;
      for (let p = head; p !== 0; ) {
        s += slotNumber(h, fieldItemSlot(h, p, 0));
        const q = fieldItemSlot(h, p, 1);
        p = slotRef(h, q);
      }
      return s;
    },
  };
}

function makeWalker(id: W5Id, n: number): W5Walker {
  switch (id) {
    case "w5-v8":
      return v8Walker(n);
    case "w5-handles":
      return handleWalker(n, false);
    case "w5-handles-off":
      return handleWalker(n, true);
    case "w5-engine":
      return engineWalker(n);
  }
}

/** Whether `id` names a W5 variant. */
export const isW5Id = (id: string): id is W5Id => W5_VARIANTS.some((v) => v.id === id);

/**
 * The variant's ns per node for each of `rounds` timed walks, after `warmup` untimed ones; every
 * walk's sum is checked (a walk that stopped early would look fast).
 */
export function timeW5(id: W5Id, n: number, warmup: number, rounds: number): number[] {
  const w = makeWalker(id, n);
  const expected = (n * (n - 1)) / 2;
  const check = (s: number): void => {
    if (s !== expected) throw new Error(`W5 ${id}: the walk summed ${s}, expected ${expected}`);
  };
  for (let r = 0; r < warmup; r++) check(w.walk());
  const ns: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = cpuNs();
    const s = w.walk();
    ns.push((cpuNs() - t0) / n);
    check(s);
  }
  return ns;
}
