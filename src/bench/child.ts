/**
 * One benchmark variant in a process of its own: `node --expose-gc child.js --child <id> …`,
 * started by run.ts. Prints the variant's measurements as one line of JSON.
 */
import { runChildProcess } from "./run.js";

try {
  await runChildProcess(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
