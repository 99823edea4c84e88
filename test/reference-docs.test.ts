/**
 * The configuration and stack-output references are generated from their one source each
 * (scripts/generate-reference.ts); these tests fail when the committed files are stale, when a key the program reads
 * is documented nowhere, and when the documented outputs are not what index.ts exports.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { REFERENCE_FILES } from "../scripts/generate-reference";
import { CONFIG_KEYS } from "../components/config/settings";
import { STACK_OUTPUTS } from "../components/outputs";
import { isSecret, runProgram } from "./support/program";

const ROOT = path.resolve(__dirname, "..");

describe("reference docs", () => {
  for (const [file, generate] of Object.entries(REFERENCE_FILES)) {
    it(`${file} is what npm run docs:reference writes`, () => {
      assert.equal(fs.readFileSync(path.join(ROOT, file), "utf8"), generate(), `${file} is stale: run npm run docs:reference`);
    });
  }

  it("the configuration reference has a row for every key the program reads, in its order", () => {
    const text = fs.readFileSync(path.join(ROOT, "docs/reference/configuration.md"), "utf8");
    const keys = [...text.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(keys, [...CONFIG_KEYS]);
  });

  for (const stack of ["dev", "prod"]) {
    it(`the documented outputs are exactly the ones the program exports for ${stack}, with the same secrecy`, async () => {
      const run = await runProgram(stack);
      assert.deepEqual(Object.keys(run.exports).sort(), STACK_OUTPUTS.map((o) => o.name).sort());
      for (const o of STACK_OUTPUTS) {
        const value = run.exports[o.name];
        if (value === undefined) continue; // absent in this mode (e.g. a disabled feature)
        assert.equal(await isSecret(value), o.secret, `${o.name}: secret should be ${o.secret}`);
      }
    });
  }
});
