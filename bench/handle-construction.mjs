// biome-ignore-all lint/correctness/noUnusedPrivateClassMembers: the fields are what is measured, not read
// Why a handle costs what it costs to make (docs/performance.md, "Walking a linked list through
// handles"): 10^6 constructions of an object with five fields and a getter, in one of the shapes
// below, median of 15 rounds of process CPU time. Run each in a process of its own:
//   node --no-concurrent-recompilation bench/handle-construction.mjs VARIANT
// VARIANT: base-private-via-subclass, base-private-via-explicit-subclass, base-private-direct,
// own-private, own-plain, base-plain-via-subclass, reflect-construct, stamped, set-prototype.

const variant = process.argv[2];
const host = { engine: { i32: new Int32Array(1024) } };
const typeWord = (e, a) => e.i32[a & 1023];

class PrivateBase {
  #h;
  #a;
  #t;
  #o;
  #l;
  constructor(h, a, o) {
    this.#h = h;
    this.#a = a;
    this.#t = typeWord(h.engine, a);
    this.#o = o;
    this.#l = undefined;
  }
  get a() {
    return this.#a;
  }
}
class PlainBase {
  constructor(h, a, o) {
    this._h = h;
    this._a = a;
    this._t = typeWord(h.engine, a);
    this._o = o;
    this._l = undefined;
  }
  get a() {
    return this._a;
  }
}
class Empty {}

const make = {
  "base-private-via-subclass": () => {
    const C = class extends PrivateBase {};
    return (h, a, o) => new C(h, a, o);
  },
  "base-private-via-explicit-subclass": () => {
    const C = class extends PrivateBase {
      // biome-ignore lint/complexity/noUselessConstructor: the variant measured is this constructor
      constructor(h, a, o) {
        super(h, a, o);
      }
    };
    return (h, a, o) => new C(h, a, o);
  },
  "base-private-direct": () => (h, a, o) => new PrivateBase(h, a, o),
  "own-private": () => {
    const C = class extends Empty {
      #h;
      #a;
      #t;
      #o;
      #l;
      constructor(h, a, o) {
        super();
        this.#h = h;
        this.#a = a;
        this.#t = typeWord(h.engine, a);
        this.#o = o;
        this.#l = undefined;
      }
      get a() {
        return this.#a;
      }
    };
    return (h, a, o) => new C(h, a, o);
  },
  "own-plain": () => {
    const C = class extends Empty {
      constructor(h, a, o) {
        super();
        this._h = h;
        this._a = a;
        this._t = typeWord(h.engine, a);
        this._o = o;
        this._l = undefined;
      }
      get a() {
        return this._a;
      }
    };
    return (h, a, o) => new C(h, a, o);
  },
  "base-plain-via-subclass": () => {
    const C = class extends PlainBase {};
    return (h, a, o) => new C(h, a, o);
  },
  "reflect-construct": () => {
    const C = class extends PrivateBase {};
    return (h, a, o) => Reflect.construct(PrivateBase, [h, a, o], C);
  },
  stamped: () => {
    // The base constructor returns an object made with the subclass's prototype; the class that
    // declares the private fields is the one constructed, so they are "own" fields.
    class Stamper {
      constructor(o) {
        // biome-ignore lint/correctness/noConstructorReturn: the stamping is what is measured
        return o;
      }
    }
    class Stamped extends Stamper {
      #h;
      #a;
      #t;
      #o;
      #l;
      constructor(target, h, a, o) {
        super(target);
        this.#h = h;
        this.#a = a;
        this.#t = typeWord(h.engine, a);
        this.#o = o;
        this.#l = undefined;
      }
      get a() {
        return this.#a;
      }
    }
    const P = Object.create(Stamped.prototype);
    return (h, a, o) => new Stamped(Object.create(P), h, a, o);
  },
  "set-prototype": () => {
    const P = class extends PrivateBase {}.prototype;
    return (h, a, o) => Object.setPrototypeOf(new PrivateBase(h, a, o), P);
  },
}[variant];
if (make === undefined) throw new Error(`unknown variant ${variant}`);
const construct = make();

const run = (n) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += construct(host, i, 0).a;
  return s;
};
const N = 1_000_000;
const times = [];
for (let r = 0; r < 15; r++) {
  const t = process.cpuUsage();
  run(N);
  const u = process.cpuUsage(t);
  times.push(((u.user + u.system) * 1000) / N);
}
times.sort((a, b) => a - b);
console.log(`${variant}: median ${times[7].toFixed(1)} ns per construction (min ${times[0].toFixed(1)})`);
