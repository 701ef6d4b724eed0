/**
 * traverse: the one place that knows every kind's references. It writes the addresses of the
 * objects `o` holds a reference to into `h.edges` and returns how many; every phase that needs
 * an object's references (the verifier today, the collector's visitors later) loops over that
 * buffer. The buffer is reused: consume it before the next traverse call.
 *
 * Orders follow CPython's tp_traverse (they decide get_referents output and the collector's
 * move-back order): list and tuple items last to first; dict entries in order, value then key;
 * instances: fields, then attribute values (and their keys), then the type object last.
 * Unlike CPython, references to non-GC objects (str keys) are reported too: the collector
 * ignores them, and the verifier needs every reference to check refcounts.
 */
import { read32 } from "../memory/index.js";
import { DICT_TABLE } from "./dict.js";
import { E_KEY, E_VALUE, ENTRY_SIZE, T_INDICES, T_NENTRIES, T_SIZE } from "./dicttable.js";
import { typeIdOf } from "./header.js";
import type { ObjectHeap } from "./heap.js";
import { Kind } from "./kinds.js";
import { LIST_ITEMS, LIST_SIZE } from "./list.js";
import { TUPLE_ITEMS, TUPLE_SIZE } from "./tuple.js";
import { REF_TAG, SLOT_SIZE } from "./value.js";

function ensureEdges(h: ObjectHeap, n: number): Int32Array {
  if (h.edges.length < n) h.edges = new Int32Array(Math.max(n, h.edges.length * 2));
  return h.edges;
}

/** Appends the references held by `count` slots from `p` downward (last to first). */
function slotsReversed(h: ObjectHeap, p: number, count: number, out: Int32Array, n: number): number {
  for (let i = count - 1; i >= 0; i--) {
    const s = p + SLOT_SIZE * i;
    if (read32(h, s + 4) === REF_TAG) {
      const r = read32(h, s);
      if (r !== 0) out[n++] = r;
    }
  }
  return n;
}

function tableRefs(h: ObjectHeap, t: number, out: Int32Array, n: number): number {
  const ne = read32(h, t + T_NENTRIES);
  const e0 = t + T_INDICES + 4 * read32(h, t + T_SIZE);
  for (let i = 0; i < ne; i++) {
    const e = e0 + ENTRY_SIZE * i;
    if (read32(h, e + E_VALUE + 4) === REF_TAG) {
      const r = read32(h, e + E_VALUE);
      if (r !== 0) out[n++] = r;
    }
    if (read32(h, e + E_KEY + 4) === REF_TAG) {
      const r = read32(h, e + E_KEY);
      if (r !== 0) out[n++] = r;
    }
  }
  return n;
}

/** Fills h.edges with the objects `o` references; returns the count. */
export function traverse(h: ObjectHeap, o: number): number {
  const id = typeIdOf(h, o);
  switch (h.typeKind[id]) {
    case Kind.Instance: {
      const nf = h.typeFieldCount[id]!;
      const attrsOff = h.typeAttrsOffset[id]!;
      const t = attrsOff >= 0 ? read32(h, o + attrsOff) : 0;
      const out = ensureEdges(h, nf + 1 + (t !== 0 ? 2 * read32(h, t + T_NENTRIES) : 0));
      let n = 0;
      const p = o + h.typeFieldsOffset[id]!;
      for (let i = 0; i < nf; i++) {
        const s = p + SLOT_SIZE * i;
        if (read32(h, s + 4) === REF_TAG) {
          const r = read32(h, s);
          if (r !== 0) out[n++] = r;
        }
      }
      if (t !== 0) n = tableRefs(h, t, out, n);
      out[n++] = h.typeObject[id]!;
      return n;
    }
    case Kind.List: {
      const size = read32(h, o + LIST_SIZE);
      return slotsReversed(h, read32(h, o + LIST_ITEMS), size, ensureEdges(h, size), 0);
    }
    case Kind.Tuple: {
      const size = read32(h, o + TUPLE_SIZE);
      return slotsReversed(h, o + TUPLE_ITEMS, size, ensureEdges(h, size), 0);
    }
    case Kind.Dict: {
      const t = read32(h, o + DICT_TABLE);
      if (t === 0) return 0;
      return tableRefs(h, t, ensureEdges(h, 2 * read32(h, t + T_NENTRIES)), 0);
    }
    default:
      return 0;
  }
}
