/** Every file in examples/ runs (against the built package) and checks itself; it ends with "ok". */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";

const examples = readdirSync(new URL("../examples/", import.meta.url)).filter((f) => f.endsWith(".ts"));

describe("examples", () => {
  it("exist", () => {
    expect(examples.length).toBeGreaterThan(0);
  });
  for (const file of examples) {
    it(`examples/${file} runs and ends with ok`, () => {
      const out = execFileSync(process.execPath, ["--import", "tsx", `examples/${file}`], {
        encoding: "utf8",
      });
      expect(out.trim().split("\n").at(-1)).toBe("ok");
    });
  }
});
