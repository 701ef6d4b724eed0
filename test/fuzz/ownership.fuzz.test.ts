/**
 * Random programs written as ordinary TypeScript against the handle API (seeded): two async tasks
 * interleave on one heap, each building chains with nested constructors, walking them through
 * borrowed reads, popping and re-storing, owning reads with own(), running scopes, making cycles
 * and awaiting between steps. The model: each task's list of the handles it owns (floating handles
 * never stored, and own() results). After every step:
 *
 *  - the heap verifier finds no problem;
 *  - `heap.unreleasedHandles()` lists exactly the handles the tasks own, plus the shared list's;
 *  - every walk sums what its chain was built with (a chain of k nodes holds k−1 … 0).
 *
 * At the end each task releases what it owns, a collection leaves the objects the heap began
 * with, and `close()` under the "throw" leak policy reports nothing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Handle, Heap, type InstanceOf } from "../../src/index.js";

type Step = readonly [number, number, number];

const stepsArb = fc.array(fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000)), {
  minLength: 5,
  maxLength: 40,
});

async function run(taskSteps: readonly (readonly Step[])[]): Promise<void> {
  const heap = new Heap({ checked: true, leaks: "throw", trackStacks: false });
  const Node = heap.defineClass("Node", { fields: { n: "number", next: "self" }, weakrefable: true });
  type N = InstanceOf<typeof Node>;
  const baseline = heap.verify().objects;
  const shared = heap.list<N>();
  const owned: Handle[][] = taskSteps.map(() => []);
  const totalOwned = () => owned.reduce((k, o) => k + o.length, 0);

  /** Sums a chain by walking it: borrowed reads only. */
  const walk = (head: N): number => {
    let s = 0;
    for (let p: N | null = head; p !== null; p = p.next) s += p.n;
    return s;
  };
  const expectedSum = (head: N): number => (head.n * (head.n + 1)) / 2;
  /** A chain of k nodes built with nested constructors: each new node takes the previous head. */
  const chain = (k: number): N => {
    let head: N = Node.new({ n: 0 });
    for (let i = 1; i < k; i++) head = Node.new({ n: i, next: head });
    return head;
  };

  const check = (what: string): void => {
    expect(heap.verify().problems, what).toEqual([]);
    expect(heap.unreleasedHandles().length, what).toBe(totalOwned() + 1);
    for (const o of owned) for (const h of o) expect(h.ownership, what).not.toBe("borrowed");
  };

  async function task(t: number, steps: readonly Step[]): Promise<void> {
    const mine = owned[t]!;
    for (const [code, a, b] of steps) {
      const op = code % 9;
      switch (op) {
        case 0: {
          const head = chain(1 + (a % 6));
          if (b % 2 === 0)
            shared.append(head); // sinks it: the list owns the chain
          else mine.push(head); // floating, never stored: this task's
          break;
        }
        case 1: {
          if (shared.length === 0) break;
          const head = shared.get(a % shared.length);
          expect(walk(head)).toBe(expectedSum(head));
          break;
        }
        case 2: {
          if (shared.length === 0) break;
          mine.push(shared.get(a % shared.length).own());
          break;
        }
        case 3: {
          if (mine.length === 0) break;
          mine.splice(a % mine.length, 1)[0]!.dispose();
          break;
        }
        case 4: {
          if (shared.length === 0) break;
          const popped = shared.pop(a % shared.length); // floating: a new reference
          if (b % 2 === 0) shared.append(popped);
          else mine.push(popped);
          break;
        }
        case 5: {
          const r = heap.scope(() => {
            const top = Node.new({ n: 1, next: Node.new({ n: 0 }) });
            Node.new({ n: 9 }); // never stored: released with the scope
            expect(walk(top)).toBe(1);
            return b % 2 === 0 ? top : walk(top);
          });
          if (typeof r !== "number") mine.push(r);
          break;
        }
        case 6: {
          // A two-node cycle the task keeps through one owned handle.
          const x = Node.new({ n: 1 }).own();
          x.next = Node.new({ n: 0, next: x });
          mine.push(x);
          break;
        }
        case 7:
          heap.gc.collect(a % 3);
          break;
        case 8: {
          // Across an await, an owned handle stays valid and a borrowed one while its holder lives.
          const x = mine.find((h) => Node.isInstance(h)) as N | undefined;
          const item = shared.length > 0 ? shared.get(b % shared.length) : undefined;
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (x !== undefined && !x.released) expect(x.n).toBeGreaterThanOrEqual(0);
          if (item !== undefined && heap.scope(() => [...shared].some((s) => s.is(item))))
            expect(walk(item)).toBe(expectedSum(item));
          break;
        }
      }
      check(`task ${t}, op ${op}`);
      await Promise.resolve(); // the other task runs between any two steps
    }
  }

  await Promise.all(taskSteps.map((steps, t) => task(t, steps)));
  for (const o of owned) for (const h of o.splice(0)) h.dispose();
  shared.dispose();
  heap.gc.collect();
  expect(heap.verify().objects).toBe(baseline);
  heap.close(); // "throw": a handle still owning a reference would fail here
}

describe("ordinary TypeScript against the handle API, two async tasks (seeded)", () => {
  it("leaks nothing, keeps the heap sound after every step, and walks sum what they were built with", async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(stepsArb, stepsArb), (steps) => run(steps)),
      { seed: 7_2026, numRuns: 60 },
    );
  });
});
