/**
 * The playground's model (docs/playground.md): the trace format, the recorder that writes it
 * from a live heap, scenarios recorded through the oracle's runner, the presets, and the
 * questions the page asks of a picture. Runs in a browser as well as in Node.
 */
export { explainLogLine } from "./explain.js";
export {
  checkTrace,
  parseTrace,
  TRACE_FORMAT,
  TRACE_VERSION,
  type VizAllocator,
  type VizCollection,
  type VizEdge,
  type VizHeap,
  type VizMark,
  type VizObject,
  type VizStep,
  type VizSummary,
  type VizTrace,
} from "./format.js";
export { whyAlive } from "./paths.js";
export { PRESETS, type Preset } from "./presets.js";
export { DEFAULT_MAX_OBJECTS, Recorder, type RecorderOptions } from "./recorder.js";
export { type RecordScenarioOptions, recordScenario } from "./scenario.js";
