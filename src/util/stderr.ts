/**
 * Text for the standard error stream: `process.stderr` under Node, `console.error` where there is
 * no `process` (a browser), so that the default reports (an unraisable exception, the collector's
 * debug output) never fail with `ReferenceError: process is not defined`.
 */
export function writeStderr(text: string): void {
  const proc = (globalThis as { process?: { stderr?: { write?: (s: string) => unknown } } }).process;
  if (typeof proc?.stderr?.write === "function") proc.stderr.write(text);
  else console.error(text.endsWith("\n") ? text.slice(0, -1) : text);
}
