/**
 * The fuzzer's generator: every scenario it renders is well formed, and it draws each feature of
 * the scenario language that the oracle is meant to cover (so a fuzz run exercises it).
 */
import { describe, expect, it } from "vitest";
import { render, sampleModels } from "../../src/oracle/generate.js";
import { DEFAULT_LONG_LIVED, runScenario } from "../../src/oracle/run.js";
import { parseScenario } from "../../src/oracle/scenario.js";

describe("the generator", () => {
  const texts = sampleModels(7, 400).map(render);

  it("renders scenarios that parse", () => {
    for (const t of texts) expect(() => parseScenario(t)).not.toThrow();
  });

  it.each([
    ["a subclass of list", /^class \w+ base list\b/m],
    ["a subclass of dict", /^class \w+ base dict\b/m],
    ["a subclass of weakref.ref", /^class \w+ base ref\b/m],
    ["an instance of a ref subclass (new W R X)", /^new \w+ \w+ \w+$/m],
    ["a WeakMethod without a callback", /^wm \w+ \w+\.cb$/m],
    ["a WeakMethod with a callback", /^wm \w+ \w+\.cb \S/m],
    ["a bound-method weakref callback", /^ref \w+ \w+ \w+\.cb/m],
    ["a lambda callback", /^ref \w+ \w+ lambda/m],
    ["slots at two levels of a chain", /^class \w+ base \w+ slots /m],
  ])("draws %s", (_, re) => {
    expect(texts.some((t) => re.test(t))).toBe(true);
  });

  it("renders scenarios refheap's runner runs to the end (the first 40 with a WeakMethod or a ref subclass)", () => {
    const picked = texts.filter((t) => /^(wm |new \w+ \w+ \w+$)/m.test(t)).slice(0, 40);
    expect(picked.length).toBe(40);
    for (const t of picked) {
      const log = runScenario(t, { longLived: DEFAULT_LONG_LIVED });
      expect(log.at(-1)).toMatch(/^alive \[/);
    }
  });
});
