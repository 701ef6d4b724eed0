/**
 * Records scenarios off the page's thread, so that a big heap (the 100,000-object preset) does
 * not freeze the page: a message { id, text, title } comes in, { id, trace } or { id, error }
 * goes back.
 */
import { recordScenario } from "../src/viz/index.js";

interface Request {
  readonly id: number;
  readonly text: string;
  readonly title: string;
}

const scope = globalThis as unknown as {
  onmessage: ((ev: MessageEvent<Request>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = (ev) => {
  const { id, text, title } = ev.data;
  try {
    scope.postMessage({ id, trace: recordScenario(text, { title }) });
  } catch (e) {
    scope.postMessage({ id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
