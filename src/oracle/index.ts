/**
 * The differential oracle (docs/oracle.md): the scenario language, the refheap runner, and the
 * tools that compare it with CPython (the python runner, the golden corpus, the fuzzer).
 */
export * from "./corpus.js";
export * from "./diff.js";
export * from "./fuzz.js";
export * from "./generate.js";
export * from "./python.js";
export { DEFAULT_LONG_LIVED, type RunOptions, runScenario } from "./run.js";
export {
  type ClassDecl,
  type ContainerDecl,
  isName,
  type Op,
  parseScenario,
  parseValue,
  QUERIES,
  type Scenario,
  type Value,
} from "./scenario.js";
