/**
 * A Scheme interpreter whose every runtime object lives in refheap (examples/scheme/): pairs,
 * symbols, closures, environments and vectors are user kinds, numbers are stored inline, and the
 * reference discipline is exact, so cycles are left to the collector, as in CPython.
 * Run: npm run build && npx tsx examples/scheme-tour.ts
 */
import assert from "node:assert/strict";
import { verify } from "refheap/core";
import { jsScheme, refheapScheme } from "./scheme/interp.js";

const finalized: string[] = [];
const scheme = refheapScheme({ onFinalize: (kind, tag) => kind === "closure" && finalized.push(tag) });
const { h } = scheme.b;
const show = (src: string): string[] => {
  const out = scheme.run(src);
  for (const line of out) console.log(`  ${line}`);
  assert.deepEqual(verify(h).problems, []);
  return out;
};

console.log("arithmetic, closures, let, vectors:");
assert.deepEqual(
  show(`
    (define (fact n) (if (< n 2) 1 (* n (fact (- n 1)))))
    (fact 15)
    (define (counter) (let ((n 0)) (lambda () (set! n (+ n 1)) n)))
    (define tick (counter))
    (tick) (tick)
    (let ((v (make-vector 3 0))) (vector-set! v 1 'x) v)`),
  ["1307674368000", "1", "2", "#(0 x 0)"],
);

// Symbols are interned for the interpreter's life: use every name once before counting objects.
show("(define x 0) (set! x 0) (define t 0) (define v 0) (car '(a)) (gc)");

console.log("a closure stored in its own environment:");
show("(define (make) (define (self) self) self) (define x (make)) (eq? x (x))");
const withCycle = verify(h).objects;
show("(set! x 0)"); // counting cannot free the closure and the frame holding it
assert.equal(verify(h).objects, withCycle);
assert.deepEqual(finalized, []);
assert.deepEqual(show("(gc)"), ["2"]); // the closure `self` and the frame of make's call
assert.deepEqual(finalized, ["self"]);
assert.equal(verify(h).objects, withCycle - 2);

console.log("a tree built and dropped (freed by counting, iteratively):");
show("(define (tree d) (if (= d 0) '() (cons (tree (- d 1)) (tree (- d 1)))))");
const beforeTree = verify(h).objects;
show("(set! t (tree 12))");
assert.equal(verify(h).objects, beforeTree + 4095);
show("(set! t 0)");
assert.equal(verify(h).objects, beforeTree);

console.log("set! making a cycle through a vector:");
show("(set! v (make-vector 2 0)) (vector-set! v 0 (list 'a v)) (set! v 0)");
assert.deepEqual(show("(gc)"), ["3"]); // the vector and the two pairs of (a v)
assert.equal(verify(h).objects, beforeTree);

console.log("the same programs over plain JS objects:");
const js = jsScheme();
assert.deepEqual(js.run("(define (fact n) (if (< n 2) 1 (* n (fact (- n 1))))) (fact 15)"), [
  "1307674368000",
]);
js.close();

scheme.close();
assert.deepEqual(verify(h).problems, []);
assert.equal(verify(h).objects, scheme.b.baseObjects); // nothing the interpreter made is left
console.log(`closed: ${verify(h).objects} objects (the engine's own), no problems`);
console.log("ok");
