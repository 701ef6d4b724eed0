/** Generators shared by the fuzz tests (and checked by test/regress). */
import fc from "fast-check";

/** One engine operation: an opcode and three operands, interpreted by the fuzz driver. */
export const opArb = fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.nat(1000));
/**
 * A sequence of operations. `size: "max"` matters: fast-check's default size caps arrays at about
 * ten elements, far too short to reach interesting heap states.
 */
export const opsArb = fc.array(opArb, { minLength: 20, maxLength: 120, size: "max" });
