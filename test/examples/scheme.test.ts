/**
 * The Scheme interpreter example (examples/scheme/): its results, its reference discipline (the
 * heap verifies after every program and returns to its starting object count once the
 * interpreter is closed), the cycle collector freeing closure and vector cycles that counting
 * leaves, finalization order against CPython's for the same structure, and the plain-JS backend
 * giving the same results.
 */
import { verify } from "refheap/core";
import { describe, expect, it } from "vitest";
import {
  type Interpreter,
  jsScheme,
  type RefheapBackend,
  refheapScheme,
  SchemeError,
} from "../../examples/scheme/interp.js";
import { python } from "../gc/gc-helpers.js";

type RefheapScheme = Interpreter<number, RefheapBackend>;

/** Runs `src`, checks the heap is sound afterwards, returns the printed results. */
function run(s: RefheapScheme, src: string): string[] {
  const out = s.run(src);
  expect(verify(s.b.h).problems).toEqual([]);
  return out;
}

function objects(s: RefheapScheme): number {
  return verify(s.b.h).objects;
}

/** Closes the interpreter and checks that nothing it made is left in the heap. */
function closeAndCheck(s: RefheapScheme): void {
  s.close();
  const report = verify(s.b.h);
  expect(report.problems).toEqual([]);
  expect(report.objects).toBe(s.b.baseObjects);
}

const PROGRAMS: [string, string, string[]][] = [
  [
    "arithmetic",
    "(+ 1 2 3) (- 10 4 3) (- 5) (* 6 7) (< 1 2 3) (< 1 3 2) (= 4 4) (> 3 1)",
    ["6", "3", "-5", "42", "#t", "#f", "#t", "#t"],
  ],
  [
    "recursion and tail loops",
    `(define (fact n) (if (< n 2) 1 (* n (fact (- n 1)))))
     (fact 12)
     (define (sum i acc) (if (= i 0) acc (sum (- i 1) (+ acc i))))
     (sum 100000 0)`,
    ["479001600", "5000050000"],
  ],
  [
    "closures and set!",
    `(define (counter) (let ((n 0)) (lambda () (set! n (+ n 1)) n)))
     (define a (counter)) (define b (counter))
     (a) (a) (b) (a)
     (define (adder k) (lambda (x) (+ x k)))
     ((adder 5) 10)
     (define x 1) (set! x (+ x 41)) x`,
    ["1", "2", "1", "3", "15", "42"],
  ],
  [
    "let and internal defines",
    `(let ((x 2) (y 3)) (define z (* x y)) (+ x y z))
     (define (f n) (define (even? k) (if (= k 0) #t (odd? (- k 1)))) (define (odd? k) (if (= k 0) #f (even? (- k 1)))) (even? n))
     (f 10) (f 7)
     (let ((x 1)) (let ((x 2) (y x)) (list x y)))`,
    ["11", "#t", "#f", "(2 1)"],
  ],
  [
    "pairs, quote and symbols",
    `(define l (list 1 2 3))
     (car l) (cdr l) (cons 0 l) (pair? l) (null? (cdr (cdr (cdr l)))) (null? l)
     (set-car! l 'one) l
     (set-cdr! (cdr (cdr l)) 4) l
     '(a (b . c) #t #f ())
     (eq? 'a 'a) (eq? 'a 'b) (eq? l l) (eq? (list 1) (list 1)) (symbol? 'a) (procedure? car)`,
    [
      "1",
      "(2 3)",
      "(0 1 2 3)",
      "#t",
      "#t",
      "#f",
      "(one 2 3)",
      "(one 2 3 . 4)",
      "(a (b . c) #t #f ())",
      "#t",
      "#f",
      "#t",
      "#f",
      "#t",
      "#t",
    ],
  ],
  [
    "vectors",
    `(define v (make-vector 3 7))
     v (vector-length v) (vector-ref v 2)
     (vector-set! v 1 'x) v
     (vector 1 (vector 2) '(3))
     (define (fill! v i) (if (< i (vector-length v)) (begin (vector-set! v i (* i i)) (fill! v (+ i 1))) v))
     (fill! (make-vector 5) 0)`,
    ["#(7 7 7)", "3", "7", "#(7 x 7)", "#(1 #(2) (3))", "#(0 1 4 9 16)"],
  ],
  [
    "a tree built and dropped",
    `(define (tree d) (if (= d 0) '() (cons (tree (- d 1)) (tree (- d 1)))))
     (define (count t) (if (null? t) 1 (+ (count (car t)) (count (cdr t)))))
     (count (tree 10))`,
    ["1024"],
  ],
];

describe("the Scheme interpreter over refheap", () => {
  it.each(PROGRAMS)("%s", (_, src, expected) => {
    const s = refheapScheme();
    expect(run(s, src)).toEqual(expected);
    closeAndCheck(s);
  });

  it("reports Scheme errors and leaks nothing when a program fails half-way", () => {
    const s = refheapScheme();
    run(
      s,
      "(define (f x) (car x)) (define (g x) (let ((v (make-vector 2 (list x)))) (vector-set! v 0 v) (f x)))",
    );
    // A warm-up that succeeds: interns every symbol used below, leaves the same garbage.
    // (Symbols are interned for the interpreter's life: a name's first use adds one object.)
    expect(run(s, "(g (list 5)) (gc) 'undefined-variable")).toEqual(["5", "3", "undefined-variable"]);
    const before = objects(s);
    expect(() => s.run("(g 1)")).toThrow(SchemeError);
    expect(() => s.run("(undefined-variable)")).toThrow(/unbound variable/);
    expect(() => s.run("(f 1 2)")).toThrow(/expected 1 arguments, got 2/);
    expect(() => s.run("(car '(1 2)")).toThrow(/end of input/);
    expect(verify(s.b.h).problems).toEqual([]);
    // The failing call left one cycle, the vector holding itself, and the pair (1) it holds:
    // both unreachable, both counted and freed by the collection.
    expect(run(s, "(gc)")).toEqual(["2"]);
    expect(objects(s)).toBe(before);
    closeAndCheck(s);
  });

  it("after a program and a collection only the interpreter's long-lived objects remain", () => {
    const s = refheapScheme();
    const program =
      "(let ((v (make-vector 3 0)) (p (list 1 2))) (vector-set! v 0 v) (set-cdr! (cdr p) p) (vector-length v))";
    expect(run(s, program)).toEqual(["3"]);
    run(s, "(gc)"); // interns `gc`'s and the program's symbols once
    const longLived = objects(s);
    for (let i = 0; i < 3; i++) {
      expect(run(s, program)).toEqual(["3"]);
      // The let frame went by counting; left: the vector holding itself and the two-pair ring.
      expect(verify(s.b.h).unreachable.length).toBe(3);
      expect(run(s, "(gc)")).toEqual(["3"]);
      expect(objects(s)).toBe(longLived);
    }
    closeAndCheck(s);
  });

  it("a closure stored in its own environment is not freed by refcounting, but by (gc)", () => {
    const log: string[] = [];
    const s = refheapScheme({ onFinalize: (kind, tag) => kind === "closure" && log.push(tag) });
    run(s, "(define (make) (define (self) self) self) (define x 0) (set! x 0)"); // interns every name used
    const before = objects(s);
    expect(run(s, "(define x (make)) (eq? x (x))")).toEqual(["#t"]);
    expect(objects(s)).toBe(before + 2); // the closure `self` and the frame of make's call
    run(s, "(set! x 0)");
    // Nothing refers to the pair from outside, but each holds the other: counting cannot free it.
    expect(log).toEqual([]);
    expect(objects(s)).toBe(before + 2);
    expect(verify(s.b.h).unreachable).toHaveLength(2);
    expect(run(s, "(gc)")).toEqual(["2"]);
    expect(log).toEqual(["self"]);
    expect(objects(s)).toBe(before);
    expect(verify(s.b.h).unreachable).toHaveLength(0);
    // The same through the engine's own gc.collect.
    run(s, "(define x (make)) (set! x 0)");
    expect(s.b.collect()).toBe(2);
    expect(log).toEqual(["self", "self"]);
    expect(objects(s)).toBe(before);
    closeAndCheck(s);
  });

  it("set! through a vector makes a cycle that (gc) frees; counting frees an acyclic tree at once", () => {
    const log: string[] = [];
    const s = refheapScheme({ onFinalize: (kind, tag) => kind === "pair" && log.push(tag) });
    run(
      s,
      "(define v 0) (define t 0) (set! t 0) (define a 0) (define (tree d) (if (= d 0) 'leaf (cons (tree (- d 1)) (tree (- d 1)))))",
    );
    const before = objects(s);
    run(s, "(set! t (tree 4))");
    expect(objects(s)).toBe(before + 15);
    log.length = 0;
    run(s, "(set! t 0)");
    // The 15 pairs (7 holding a subtree, 8 holding leaves), then the (set! t 0) form's 3 pairs.
    expect(log.filter((tag) => tag === "?")).toHaveLength(7);
    expect(log.filter((tag) => tag === "leaf")).toHaveLength(8);
    expect(log.slice(-3)).toEqual(["set!", "t", "0"]);
    expect(log).toHaveLength(18);
    expect(objects(s)).toBe(before);
    run(s, "(set! v (make-vector 2 0)) (vector-set! v 0 (cons 'a v)) (set! v 0)");
    expect(objects(s)).toBe(before + 2); // the vector and the pair (a . v): a cycle
    log.length = 0;
    expect(run(s, "(gc)")).toEqual(["2"]);
    expect(log).toEqual(["a", "gc"]); // the pair in the collection, then the (gc) form itself
    expect(objects(s)).toBe(before);
    closeAndCheck(s);
  });

  describe("finalization order of a cycle of pairs, compared with CPython's", () => {
    const PY_PAIR = `
import gc
gc.disable(); gc.collect()
order = []
class Pair:
    __slots__ = ("car", "cdr")
    def __init__(self, car, cdr):
        self.car = car
        self.cdr = cdr
    def __del__(self):
        order.append(self.car)
`;
    const cases: [string, string[], string][] = [
      [
        "a ring built by list",
        ["(define x (list 1 2 3 4))", "(set-cdr! (cdr (cdr (cdr x))) x)", "(set! x 0)"],
        "x = Pair(1, Pair(2, Pair(3, Pair(4, None))))\nx.cdr.cdr.cdr.cdr = x\nx = 0",
      ],
      [
        "a ring that survived one collection first (reordered by it)",
        ["(define x (list 1 2 3 4))", "(gc)", "(set-cdr! (cdr (cdr (cdr x))) x)", "(set! x 0)"],
        "x = Pair(1, Pair(2, Pair(3, Pair(4, None))))\ngc.collect()\nx.cdr.cdr.cdr.cdr = x\nx = 0",
      ],
      [
        "two rings joined, one older than the other",
        [
          "(define a (cons 1 (cons 2 '())))",
          "(set-cdr! (cdr a) a)",
          "(gc)",
          "(define b (cons 3 (cons 4 a)))",
          "(set-car! a b)",
          "(set-cdr! (cdr b) b)",
          "(set! a 0)",
          "(set! b 0)",
        ],
        "a = Pair(1, Pair(2, None))\na.cdr.cdr = a\ngc.collect()\nb = Pair(3, Pair(4, a))\na.car = b\nb.cdr.cdr = b\na = 0\nb = 0",
      ],
    ];
    it.each(cases)("%s", async (_, forms, py) => {
      const log: string[] = [];
      const s = refheapScheme({ onFinalize: (kind, tag) => kind === "pair" && log.push(tag) });
      run(s, "(define x 0) (define a 0) (define b 0)");
      for (const form of forms) run(s, form);
      log.length = 0;
      expect(run(s, "(gc)")).toEqual(["4"]);
      const pyOrder = await python(
        `${PY_PAIR}${py}\ngc.collect()\nprint(" ".join(str(c) if isinstance(c, int) else "pair" for c in order))`,
      );
      // The last tag is the (gc) form's own pair, freed by counting once it has run.
      expect(log.at(-1)).toBe("gc");
      const schemeOrder = log.slice(0, -1).map((tag) => (tag === "?" ? "pair" : tag));
      expect(pyOrder.split(" ")).toHaveLength(4);
      expect(schemeOrder).toEqual(pyOrder.split(" "));
      closeAndCheck(s);
    });
  });
});

describe("the plain-JS backend", () => {
  it.each(PROGRAMS)("%s gives the refheap backend's results", (_, src, expected) => {
    const j = jsScheme();
    const r = refheapScheme();
    const viaJs = j.run(src);
    expect(viaJs).toEqual(r.run(src));
    expect(viaJs).toEqual(expected);
    j.close();
    closeAndCheck(r);
  });

  it("runs the same evaluator code (the Backend interface), with (gc) a no-op", () => {
    const j = jsScheme();
    expect(j.b.name).toBe("js");
    expect(
      j.run("(define (make) (define (self) self) self) (define x (make)) (eq? x (x)) (set! x 0) (gc)"),
    ).toEqual(["#t", "0"]);
    j.close();
  });
});
