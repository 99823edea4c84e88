import assert from "node:assert/strict";
import { quickFiles, testFiles } from "../scripts/test-quick";

describe("test:quick (scripts/test-quick.ts)", () => {
  it("leaves out exactly the files that start an engine or a tool, and nothing else", () => {
    const all = testFiles();
    const { quick, engine } = quickFiles(all);
    assert.deepEqual([...quick, ...engine].sort(), all, "every file is in one of the two");
    for (const f of ["test/backup-restore.test.ts", "test/pitr.test.ts", "test/monitoring-rules.test.ts", "test/pg-settings.test.ts", "test/database/reset.test.ts", "test/database/candles.test.ts"]) {
      assert.ok(engine.includes(f), `${f} needs an engine or a tool`);
    }
    for (const f of ["test/tuning.test.ts", "test/program.test.ts", "test/policy.test.ts", "test/config-refusals.test.ts", "test/test-quick.test.ts"]) {
      assert.ok(quick.includes(f), `${f} runs without one`);
    }
  });
});
