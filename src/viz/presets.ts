/** The playground's preset scenarios, in the oracle's scenario language (docs/oracle.md). */

export interface Preset {
  readonly id: string;
  readonly title: string;
  readonly text: string;
}

/** 60 lists, each holding a finalizable object and the previous list: deeper than the trashcan's limit of 50. */
function deepChain(): string {
  const lines = [
    "# a 60-deep chain of lists, each holding an object with __del__: freeing the outer list frees the chain",
    "# without recursion; past depth 50 the trashcan defers the inner lists, which changes the order of the __del__ calls",
    "class X del log",
  ];
  for (let i = 1; i <= 60; i++) lines.push(`new x${i} X`, i === 1 ? "list l x1" : `list l x${i} l`);
  lines.push(`del ${Array.from({ length: 60 }, (_, i) => `x${i + 1}`).join(" ")}`, "del l");
  return lines.join("\n");
}

export const PRESETS: readonly Preset[] = [
  {
    id: "call",
    title: "References through a function call",
    text: [
      "# calling f(a) binds the parameter arg to the same object: one more reference while the call runs",
      "class A",
      "new a A",
      "show refcount a",
      "let arg a",
      "show refcount a",
      "del arg",
      "show refcount a",
      "del a",
    ].join("\n"),
  },
  {
    id: "list",
    title: "Building and dropping a list",
    text: [
      "# a list of three objects: when the list dies it releases its items, and each is freed at once",
      "class Item del log",
      "new x Item",
      "new y Item",
      "new z Item",
      "list l x y z",
      "del x y z",
      "show refcount l",
      "del l",
    ].join("\n"),
  },
  {
    id: "cycle",
    title: "Two-object cycle and collect()",
    text: [
      "# two objects that refer to each other: after del their counts are still 1, and only the collector frees them",
      "class Node",
      "disable",
      "new a Node",
      "new b Node",
      "set a.peer b",
      "set b.peer a",
      "del a b",
      "collect",
    ].join("\n"),
  },
  {
    id: "cache",
    title: "A weak-value image cache",
    text: [
      "# a WeakValueDictionary does not keep its values alive: the entry goes when the image dies",
      "class Image",
      "wvd cache",
      "new img Image",
      "setitem cache 'logo' img",
      "show get cache 'logo'",
      "show len cache",
      "del img",
      "show len cache",
      "show get cache 'logo'",
    ].join("\n"),
  },
  {
    id: "resurrection",
    title: "Resurrection",
    text: [
      "# a __del__ that stores self in a global: the collector sees the object reachable again and frees nothing;",
      "# later the object dies for good, and __del__ does not run twice (PEP 442)",
      "class R del log resurrect:saved",
      "disable",
      "new a R",
      "set a.me a",
      "del a",
      "collect",
      "show finalized saved",
      "del saved",
      "collect",
    ].join("\n"),
  },
  { id: "trashcan", title: "A deep chain freed through the trashcan", text: deepChain() },
  {
    id: "callbacks",
    title: "Weakref callback order",
    text: [
      "# weakref callbacks: two on one object that dies by refcount, then two on a cycle the collector frees",
      "class A",
      "disable",
      "new a A",
      "ref w1 a log",
      "ref w2 a log",
      "del a",
      "new b A",
      "new c A",
      "set b.peer c",
      "set c.peer b",
      "ref wb b log",
      "ref wc c log",
      "del b c",
      "collect",
    ].join("\n"),
  },
  {
    id: "big",
    title: "A big heap (100,000 objects)",
    text: [
      "# 100,000 objects in one list, then a full collection: too many to draw, so the page shows counts",
      "class C slots v",
      "disable",
      "list l",
      "loop 100000 C keep l",
      "collect",
      "del l",
    ].join("\n"),
  },
];
