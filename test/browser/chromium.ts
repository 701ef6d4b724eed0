/**
 * Which Chromium the browser tests drive: Debian's (`apt-get install chromium`), or the one
 * REFHEAP_CHROMIUM names. Where there is none the tests are skipped and say so, unless
 * REFHEAP_BROWSER=require (set by `.ci/run`, which installs it), under which that is an error.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.REFHEAP_CHROMIUM ?? "/usr/bin/chromium";
export const found = existsSync(CHROMIUM);
if (!found && process.env.REFHEAP_BROWSER === "require") {
  throw new Error(`REFHEAP_BROWSER=require, but there is no Chromium at ${CHROMIUM}`);
}
if (!found) {
  console.warn(
    `browser tests skipped: no Chromium at ${CHROMIUM} (install Debian's chromium, or set REFHEAP_CHROMIUM)`,
  );
}

/** The describe() title: which Chromium, or why the tests are skipped. */
export const suiteTitle = `in Chromium (${found ? CHROMIUM : `skipped: no Chromium at ${CHROMIUM}`})`;

/** Chromium, headless, without the background connections a closed network refuses. */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}
