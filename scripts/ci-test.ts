/**
 * `npm run test:ci`: `npm test` (its output passed through as it comes), then a look at what it skipped.
 *
 * A suite that needs something this machine lacks (PostgreSQL 15's server, promtool, openssl) prints one line
 * `SKIPPED (not run, not passed): <why>` and skips: right on a developer's machine, wrong in CI, where
 * scripts/ci-install.sh has installed all of it and a skip means a suite silently stopped running. With
 * SUITES_REQUIRED=1 (the workflow sets it) such a line fails the run, unless it is one of ALLOWED_SKIPS, the skips that
 * are by design where they happen (they name the engine they cannot run on and where they do run). Without it the
 * skips are counted on one line at the end.
 *
 * Exit code: `npm test`'s when it failed; else 1 for an unexpected skip under SUITES_REQUIRED; else 0.
 */
import { spawn } from "node:child_process";

/** What every skip in the suites prints (grep SKIPPED test/). */
export const SKIP_MARK = "SKIPPED (not run, not passed)";

export interface AllowedSkip {
  /** Matches the skip line. */
  readonly pattern: RegExp;
  /** Whether the skip is by design with this environment. */
  readonly when: (env: NodeJS.ProcessEnv) => boolean;
}

/**
 * Skips that are right where they happen. On the embedded engine (no TIMESCALE_URL) COPY FROM STDIN into a scaled
 * view is not run: it crashes PGlite (test/database/scaled.test.ts); scaled-copy.test.ts runs it on PostgreSQL 15,
 * and the native TimescaleDB job runs it there. Nothing else may skip in CI.
 */
export const ALLOWED_SKIPS: readonly AllowedSkip[] = [{ pattern: /COPY FROM STDIN crashes PGlite/, when: (env) => !env.TIMESCALE_URL }];

/** The skip lines in a test run's output, trimmed, in order. */
export function skipLines(output: string): string[] {
  return output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.includes(SKIP_MARK));
}

/** The skip lines that are not by design in this environment. */
export function unexpectedSkips(output: string, env: NodeJS.ProcessEnv, allowed: readonly AllowedSkip[] = ALLOWED_SKIPS): string[] {
  return skipLines(output).filter((line) => !allowed.some((a) => a.when(env) && a.pattern.test(line)));
}

/** SUITES_REQUIRED: 1, true or yes. */
export function suitesRequired(env: NodeJS.ProcessEnv): boolean {
  return ["1", "true", "yes"].includes((env.SUITES_REQUIRED ?? "").trim().toLowerCase());
}

async function main(): Promise<number> {
  let output = "";
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("npm", ["test"], { stdio: ["inherit", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => {
      process.stdout.write(chunk);
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      output += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
  if (code !== 0) return code;

  const skips = skipLines(output);
  const unexpected = unexpectedSkips(output, process.env);
  if (suitesRequired(process.env)) {
    if (unexpected.length > 0) {
      console.error(`test:ci: FAILED: ${unexpected.length} suite(s) skipped that must run here (SUITES_REQUIRED is set):`);
      for (const line of unexpected) console.error(`  ${line}`);
      console.error("test:ci: scripts/ci-install.sh installs what they need; see its output above the tests");
      return 1;
    }
    console.log(`test:ci: every suite ran${skips.length > 0 ? `, but for ${skips.length} skip(s) by design here` : ""}`);
  } else if (skips.length > 0) {
    console.log(`test:ci: ${skips.length} skip(s) here (not run, not passed); with SUITES_REQUIRED=1 ${unexpected.length} of them would fail the run`);
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
