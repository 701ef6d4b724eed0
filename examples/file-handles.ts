/**
 * Real resources owned by heap objects: each LogFile owns an open file descriptor, closed by the
 * heap exactly when the object is deallocated — not when V8 gets round to it.
 *
 * Run: npm run build && npx tsx examples/file-handles.ts
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Heap, hostField } from "refheap";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "refheap-example-"));
const isOpen = (fd: number): boolean => {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};

const heap = new Heap({ checked: true, leaks: "throw" });
const LogFile = heap.defineClass("LogFile", {
  fields: {
    name: "str",
    fd: hostField<number>((fd) => {
      fs.closeSync(fd);
      console.log(`  closed fd ${fd}`);
    }),
    // A log file may point at the next file of its rotation, and the last one back at the first.
    next: "self",
  },
});

function open(name: string) {
  const fd = fs.openSync(path.join(dir, name), "w");
  fs.writeSync(fd, `log ${name}\n`);
  return LogFile.new({ name, fd });
}

console.log("1. a chain: dropping the head closes every file, in order, at once");
const fds: number[] = [];
{
  using a = open("a.log");
  using b = open("b.log");
  using c = open("c.log");
  a.next = b;
  b.next = c;
  fds.push(a.fd!, b.fd!, c.fd!);
  assert.ok(fds.every(isOpen));
}
assert.ok(!fds.some(isOpen), "all three descriptors are closed when the block ends");

console.log("2. a cycle: the files close when the program breaks the cycle and drops it");
let ring: number[] = [];
{
  using x = open("x.log");
  using y = open("y.log");
  x.next = y;
  y.next = x; // x → y → x: neither count can reach zero while the cycle stands
  ring = [x.fd!, y.fd!];
  x.next = null; // break it; leaving the block then frees both
}
assert.ok(!ring.some(isOpen), "both descriptors are closed when the block ends");
// A cycle nobody breaks is garbage only the cycle collector can find; when it frees the cycle,
// the same closers run at that moment.

heap.close();
fs.rmSync(dir, { recursive: true });
console.log("ok");
