// The bytecode size of each class's generated deallocator (src/refcount/specialize.ts), for classes
// with 0, 1, 2, 3 and 6 reference fields, without and with weakref support. V8 inlines a function
// into its caller's loop (the list's release loop) only up to 460 bytecodes. Build dist/ first:
//   node --print-bytecode --print-bytecode-filter="dealloc_*" bench/deallocator-size.mjs 2>/dev/null | node bench/deallocator-size.mjs --read
import { decref, Engine, gc, listAppendSteal, newInstance, newList } from "../dist/core.js";

if (process.argv.includes("--read")) {
  // Each class's line, then its deallocator's length from the printed bytecode.
  const lines = (await new Response(process.stdin).text()).split("\n");
  const what = new Map();
  let name = null;
  for (const line of lines) {
    const cls = /^class (dealloc_\d+): (.*)$/.exec(line);
    if (cls) what.set(cls[1], cls[2]);
    const fn = /bytecode for function: (dealloc_\d+)/.exec(line);
    if (fn) name = fn[1];
    const len = /Bytecode length: (\d+)/.exec(line);
    if (len && name) {
      const over = Number(len[1]) > 460 ? " (over V8's 460: not inlined)" : "";
      console.log(`${what.get(name) ?? name}: ${len[1]} bytecodes${over}`);
      name = null;
    }
  }
} else {
  const e = new Engine({ checked: false });
  gc.disable(e);
  for (const weakrefable of [false, true]) {
    for (const n of [0, 1, 2, 3, 6]) {
      const fields = Array.from({ length: n }, (_, i) => ({ name: `f${i}`, kind: "ref" }));
      const t = e.defineClass({ name: `C${n}${weakrefable ? "w" : ""}`, weakrefable, fields }).id;
      console.log(`class dealloc_${t}: ${n} reference fields${weakrefable ? ", weakrefable" : ""}`);
      const l = newList(e);
      for (let i = 0; i < 1000; i++) listAppendSteal(e, l, newInstance(e, t));
      decref(e, l);
    }
  }
}
