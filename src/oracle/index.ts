/**
 * The differential oracle (docs/oracle.md): the scenario language, the refheap runner, and the
 * tools that compare it with CPython (the python runner, the golden corpus, the fuzzer).
 */

export * from "./browser.js";
export * from "./corpus.js";
export * from "./diff.js";
export * from "./fuzz.js";
export * from "./generate.js";
export * from "./python.js";
