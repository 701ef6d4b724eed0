/** What the commands share: argument parsers for numbers, and the progress bar. */
import { SingleBar } from "cli-progress";
import { InvalidArgumentError } from "commander";
import type { Io } from "./io.js";

/** An argument parser for whole numbers of at least `min`; the message says what was expected. */
function integerAtLeast(min: number, expected: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`expected ${expected}.`);
    return n;
  };
}

export const nonNegativeInt = integerAtLeast(0, "an integer >= 0");
export const positiveInt = integerAtLeast(1, "a positive integer");

export interface ProgressBar {
  update(n: number, extra?: string): void;
  increment(extra?: string): void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal; nothing otherwise. */
export function progressBar(io: Io, total: number, label: string): ProgressBar {
  const stream = io.stderr as NodeJS.WriteStream;
  if (stream.isTTY !== true) return { update() {}, increment() {}, stop() {} };
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} {extra} ({duration}s)`,
    stream,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(total, 0, { extra: "" });
  return {
    update: (n, extra = "") => bar.update(n, { extra }),
    increment: (extra = "") => bar.increment(1, { extra }),
    stop: () => bar.stop(),
  };
}
