/**
 * The part of the oracle that runs anywhere, a browser included (no Node built-ins): the scenario
 * language and the refheap runner. The playground (src/viz/) imports this entry, not index.ts,
 * whose python runner, corpus and fuzzer need Node.
 */
export {
  DEFAULT_LONG_LIVED,
  type RunOptions,
  runScenario,
  type ScenarioObserver,
  type ScenarioView,
} from "./run.js";
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
