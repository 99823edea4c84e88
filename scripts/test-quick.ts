/**
 * `npm run test:quick`: the test files that need no database engine and no outside tool, for the edit-test loop of
 * config, tuning, policy and program changes: the program under Pulumi mocks, the pure modules, the policy pack, the
 * docs checks. It is not what CI runs and not a replacement for `npm test` (which runs every file, with the embedded
 * TimescaleDB, PostgreSQL 15 and promtool); it says how many files it left out.
 *
 * A file is left out when its source uses an engine or a tool (ENGINE_USE: the embedded TimescaleDB or a PGlite,
 * PostgreSQL 15, the PITR drill, promtool), so a new engine suite that uses the helpers in test/support is left out
 * without being listed here. Arguments after `--` go to mocha.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/** What marks a test file as needing an engine or a tool: the helpers that start one, or the tool's name. */
export const ENGINE_USE = /support\/(timescale|pglite-snapshot|pg15|serve-timescale)|drill-pitr|@unni-craftsman\/pglite|@electric-sql\/pglite|promtool|PG15_BIN/;

/** Every test file under test/, relative to the project, sorted. */
export function testFiles(dir = path.join(ROOT, "test")): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...testFiles(full));
    else if (entry.name.endsWith(".test.ts")) found.push(path.relative(ROOT, full));
  }
  return found.sort();
}

/** The test files split by whether they need an engine or a tool. */
export function quickFiles(files: readonly string[] = testFiles()): { quick: string[]; engine: string[] } {
  const quick: string[] = [];
  const engine: string[] = [];
  for (const f of files) (ENGINE_USE.test(fs.readFileSync(path.join(ROOT, f), "utf8")) ? engine : quick).push(f);
  return { quick, engine };
}

if (require.main === module) {
  const { quick, engine } = quickFiles();
  const mocha = require.resolve("mocha/bin/mocha.js");
  const child = spawn(process.execPath, [mocha, ...quick, ...process.argv.slice(2)], { cwd: ROOT, stdio: "inherit" });
  child.on("close", (code) => {
    console.log(`test:quick: ${quick.length} test files run, ${engine.length} left out (they need an engine or a tool: npm test runs them)`);
    process.exit(code ?? 1);
  });
}
