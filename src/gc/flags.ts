/** What moveLegacyFinalizers saw on the unreachable list (destroy.ts): some object may have weakrefs to clear. */
export const MAY_HAVE_WEAKREFS = 1;
/** What moveLegacyFinalizers saw on the unreachable list: some object has a finalizer that has not run. */
export const MAY_FINALIZE = 2;
