/**
 * Real resources owned by heap objects: each LogFile owns an open file descriptor, closed by the
 * heap exactly when the object is deallocated — by refcounting the moment the last reference
 * goes, or by the cycle collector the moment it frees a cycle — never later, and not when V8
 * gets round to it.
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

console.log("3. a cycle nobody breaks: the files close when the collector frees it");
heap.gc.disable(); // so that no automatic collection runs before we look
let orphan: number[] = [];
{
  using p = open("p.log");
  using q = open("q.log");
  p.next = q;
  q.next = p;
  orphan = [p.fd!, q.fd!];
}
assert.ok(orphan.every(isOpen), "the dropped cycle still holds its files: its counts cannot reach 0");
const found = heap.gc.collect();
console.log(`  gc.collect() found ${found} unreachable objects`);
assert.equal(found, 2);
assert.ok(!orphan.some(isOpen), "the collector closed both descriptors while it freed the cycle");
heap.gc.enable();

heap.close();
fs.rmSync(dir, { recursive: true });
console.log("ok");
