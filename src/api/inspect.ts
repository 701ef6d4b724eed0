/**
 * What `console.log(handle)` and `util.inspect(handle)` show: the object's type, address and
 * refcount, then its contents — an instance's declared fields, a list's or tuple's items, a dict's
 * entries — each value as a JS literal or, for an object, CPython's default repr
 * (`<Node object at 0x…>`). Nothing here makes a handle or a str, or changes a refcount: looking
 * at a heap leaves it as it was (so it works on a full heap, and on a heap a test is counting).
 */
import {
  describe,
  dictTable,
  E_KEY,
  E_VALUE,
  entryIsLive,
  FALSE,
  FieldKind,
  fieldSlot,
  Kind,
  listItems,
  listSize,
  NONE,
  refcnt,
  SLOT_SIZE,
  slotIsRef,
  slotNumber,
  slotRef,
  strValue,
  TRUE,
  tableEntry,
  tableNEntries,
  tupleSize,
  tupleSlot,
  typeIdOf,
  typeInfo,
} from "../object/index.js";
import { hex } from "../util/index.js";
import type { Engine } from "./engine.js";

/** How many items or entries are shown before "… n more". */
const SHOWN = 20;
/** Strings longer than this are cut (the heap may hold megabytes in one str). */
const STR_SHOWN = 60;

/** The slot at `p` as a JS literal, or CPython's repr of the object it references. */
function slotText(e: Engine, p: number, host: boolean): string {
  if (!slotIsRef(e, p)) {
    const n = slotNumber(e, p);
    return host ? (n === 0 ? "null" : `<host value ${n}>`) : String(n);
  }
  return objectText(e, slotRef(e, p));
}

function objectText(e: Engine, o: number): string {
  if (o === 0 || o === NONE) return "null";
  if (o === TRUE) return "true";
  if (o === FALSE) return "false";
  if (e.typeKind[typeIdOf(e, o)] === Kind.Str) {
    const s = strValue(e, o);
    return JSON.stringify(s.length > STR_SHOWN ? `${s.slice(0, STR_SHOWN)}…` : s);
  }
  return `<${describe(e, o).replace(/^'([^']*)' object/, "$1 object")}>`;
}

/** The contents part of the text: `{ field: value, … }`, `[item, …]` or `{ key => value, … }`. */
function contents(e: Engine, o: number): string {
  const id = typeIdOf(e, o);
  switch (e.typeKind[id]) {
    case Kind.Instance: {
      const fields = typeInfo(e, id).fields;
      if (fields.length === 0) return "";
      const parts = fields.map(
        (f, i) => `${f.name}: ${slotText(e, fieldSlot(e, o, i), f.kind === FieldKind.Host)}`,
      );
      return `{ ${parts.join(", ")} }`;
    }
    case Kind.List:
    case Kind.Tuple: {
      const isList = e.typeKind[id] === Kind.List;
      const n = isList ? listSize(e, o) : tupleSize(e, o);
      const items: string[] = [];
      for (let i = 0; i < Math.min(n, SHOWN); i++) {
        items.push(slotText(e, isList ? listItems(e, o) + SLOT_SIZE * i : tupleSlot(o, i), false));
      }
      if (n > SHOWN) items.push(`… ${n - SHOWN} more`);
      return `[${items.join(", ")}]`;
    }
    case Kind.Dict: {
      const t = dictTable(e, o);
      const entries: string[] = [];
      let live = 0;
      for (let i = 0; t !== 0 && i < tableNEntries(e, t); i++) {
        const en = tableEntry(e, t, i);
        if (!entryIsLive(e, en)) continue;
        if (live++ < SHOWN)
          entries.push(`${slotText(e, en + E_KEY, false)} => ${slotText(e, en + E_VALUE, false)}`);
      }
      if (live > SHOWN) entries.push(`… ${live - SHOWN} more`);
      return `{ ${entries.join(", ")} }`;
    }
    default:
      return "";
  }
}

/** `Node at 0x10018 (refcount 2) { next: <Node object at 0x10038>, value: 1, label: "a" }`. */
export function inspectObject(e: Engine, o: number): string {
  const head = `${typeInfo(e, typeIdOf(e, o)).name} at ${hex(o)} (refcount ${refcnt(e, o)})`;
  const body = contents(e, o);
  return body === "" ? head : `${head} ${body}`;
}
