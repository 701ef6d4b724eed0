// biome-ignore-all lint/correctness/noUnusedPrivateClassMembers: the fields are what is measured
// What W1's recommended style, `list.append(Empty.new())`, cannot go below while a constructor
// returns a JS object (docs/performance.md, "Handles against the engine"): the engine's own work
// for each object, plus the least a handle must be. Each round makes 100,000 instances of an
// empty class into a list and drops the list; median and minimum of 40 rounds (after 10 warm-up
// rounds) of process CPU time, ns per object. Build dist/ first, then run each variant in a
// process of its own:
//   node --no-concurrent-recompilation bench/handle-floor.mjs VARIANT
// VARIANT:
//   engine            newInstance and listAppendSteal, no handle (the engine row's work)
//   stamped           + a handle as refheap makes it: an object from a maker function, given
//                     Handle's six private fields by a stamping constructor; the append reads four
//                     of them and marks the handle sunk
//   stamped-floating  + the floating list: the object's address and type word pushed onto an
//                     Int32Array of pairs when made, taken off when sunk
//   plain             the same work as `stamped`, the handle a plain class with public fields
//                     (what V8's escape analysis can remove when everything inlines)
import { decref, Engine, gc, listAppendSteal, newInstance, newList } from "../dist/core.js";

const variant = process.argv[2];
const N = 100_000;
const e = new Engine({ checked: false });
gc.disable(e);
const T = e.defineClass({ name: "Empty" }).id;
const host = { engine: e, fast: true, pairs: new Int32Array(128), count: 0 };
const typeWord = (a) => e.i32[(a >> 2) + 1];
const FLOATING = { released: false, slot: -1 };

class Stamp {
  constructor(target) {
    // biome-ignore lint/correctness/noConstructorReturn: the object returned becomes the handle
    return target;
  }
}
class StampedHandle extends Stamp {
  #host;
  #addr;
  #tag;
  #own;
  #leak;
  #slot;
  constructor(target, h, addr, own, word, leak, slot) {
    super(target);
    this.#host = h;
    this.#addr = addr;
    this.#tag = word;
    this.#own = own;
    this.#leak = leak;
    this.#slot = slot;
  }
  static append(l, v) {
    const h = v.#host;
    const a = v.#addr;
    if (v.#own !== 2 || !h.fast || typeWord(a) !== v.#tag) throw new Error("not floating");
    listAppendSteal(h.engine, l, a);
    v.#own = 0;
    const leak = v.#leak;
    v.#leak = undefined;
    if (leak === FLOATING) {
      const s = v.#slot;
      h.pairs[2 * s] = 0;
      if (s === h.count - 1) h.count = s;
    }
  }
}
function Maker() {}
Maker.prototype = StampedHandle.prototype;

class PlainHandle {
  constructor(h, addr, own, word, leak, slot) {
    this.host = h;
    this.addr = addr;
    this.tag = word;
    this.own = own;
    this.leak = leak;
    this.slot = slot;
  }
}
function appendPlain(l, v) {
  const h = v.host;
  const a = v.addr;
  if (v.own !== 2 || !h.fast || typeWord(a) !== v.tag) throw new Error("not floating");
  listAppendSteal(h.engine, l, a);
  v.own = 0;
  v.leak = undefined;
}

function makeStamped(leak) {
  const a = newInstance(e, T);
  const w = typeWord(a);
  let slot = -1;
  if (leak === FLOATING) {
    slot = host.count;
    host.pairs[2 * slot] = a;
    host.pairs[2 * slot + 1] = w;
    host.count = slot + 1;
  }
  return new StampedHandle(new Maker(), host, a, 2, w, leak, slot);
}

const builds = {
  engine(l) {
    for (let i = 0; i < N; i++) listAppendSteal(e, l, newInstance(e, T));
  },
  stamped(l) {
    for (let i = 0; i < N; i++) StampedHandle.append(l, makeStamped(undefined));
  },
  "stamped-floating"(l) {
    for (let i = 0; i < N; i++) StampedHandle.append(l, makeStamped(FLOATING));
  },
  plain(l) {
    for (let i = 0; i < N; i++) {
      const a = newInstance(e, T);
      appendPlain(l, new PlainHandle(host, a, 2, typeWord(a), undefined, -1));
    }
  },
};
const build = builds[variant];
if (build === undefined)
  throw new Error(`unknown variant ${variant}; one of ${Object.keys(builds).join(", ")}`);

const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
const times = [];
for (let r = 0; r < 50; r++) {
  const l = newList(e);
  const t0 = cpuNs();
  build(l);
  const t1 = cpuNs();
  decref(e, l);
  if (r >= 10) times.push((t1 - t0) / N);
}
times.sort((a, b) => a - b);
console.log(
  `${variant}: build median ${times[times.length >> 1].toFixed(1)}, min ${times[0].toFixed(1)} ns per object`,
);
