/**
 * GcHeap: a heap whose GC allocations start automatic collections. The state is GcState
 * (heap.ts); the collector's functions take a GcState, so this class only connects the
 * allocation path's hook to them.
 */
import { collectAutomatic } from "./collect.js";
import { GcState } from "./heap.js";

export class GcHeap extends GcState {
  override gcAutomatic(): void {
    collectAutomatic(this);
  }
}
