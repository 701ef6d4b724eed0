/**
 * What the browser test runs, in Node and, bundled from the package's build (dist/) for the
 * browser, in Chromium: the README's classic examples through the Heap API and a cycle through the
 * engine API. `run` returns the events as lines, which must be the same in both. The default
 * reports (an unraisable exception from a finalizer, a leak warning at close) go to the console
 * where there is no `process`; the browser side checks that they arrive there and fail nothing.
 */
import { decref, Engine, gc, newInstance, setField } from "../../dist/core.js";
import { Heap } from "../../dist/index.js";

export function run(): string[] {
  const out: string[] = [];
  const heap = new Heap({ checked: true, leaks: "throw" });
  const Node = heap.defineClass("Node", {
    fields: { next: "self", label: "str" },
    finalize: (self) => {
      out.push(`__del__ ${self.label}`);
    },
  });
  // references through a function call: sys.getrefcount inside f(a, a) and after
  const a = Node.new({ label: "a" });
  out.push(`refcount ${heap.sys.getRefCount(a)}`);
  out.push(`in call ${heap.call((p: typeof a, _q: typeof a) => heap.sys.getRefCount(p), a, a)}`);
  a.dispose();
  // building and dropping a list: every item freed when the list goes
  const items = heap.list([Node.new({ label: "i1" }), Node.new({ label: "i2" })]);
  items.dispose();
  // a two-object cycle: only the collector frees it
  const x = Node.new({ label: "x" });
  x.next = Node.new({ label: "y", next: x });
  out.push(`collect ${heap.gc.collect()}`);
  // a weak-value image cache: the entry goes the moment the image dies, after its callbacks
  const Image = heap.defineClass("Image", { fields: { name: "str" }, weakrefable: true });
  const cache = heap.weakref.WeakValueDictionary();
  const img = Image.new({ name: "cat.png" });
  cache.set("cat.png", img);
  const r = heap.weakref.ref(img, () => out.push("callback"));
  heap.weakref.finalize(img, () => out.push("finalized"));
  out.push(`cache ${cache.size}`);
  img.dispose();
  out.push(`cache ${cache.size} deref ${r.deref() === null ? "None" : "alive"}`);
  r.dispose();
  cache.dispose();
  heap.close();
  // a finalizer that throws: the default hook reports it (console.error in a browser); the
  // dispose() that ran it succeeds
  const loud = new Heap({ checked: true, leaks: "warn" });
  const Bad = loud.defineClass("Bad", {
    fields: {},
    finalize: () => {
      throw new Error("boom in __del__");
    },
  });
  Bad.new().dispose();
  out.push("dispose after a throwing finalizer: ok");
  // a handle never released: reported at close (console.warn in a browser), not thrown
  Bad.new();
  loud.close();
  out.push("close with a leak under warn: ok");
  // the engine API: 1000 two-object cycles, collected
  const h = new Engine({ checked: false });
  gc.disable(h);
  const C = h.defineClass({ name: "C", fields: [{ name: "other", kind: "ref" }] });
  for (let i = 0; i < 1000; i++) {
    const p = newInstance(h, C.id);
    const q = newInstance(h, C.id);
    setField(h, p, 0, q, true);
    setField(h, q, 0, p, true);
    decref(h, p);
    decref(h, q);
  }
  out.push(`engine collect ${gc.collect(h)}`);
  return out;
}
