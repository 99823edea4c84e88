/**
 * `npm run test:e2e`: the end-to-end test on a real engine (test/e2e/*.e2e.ts), run by mocha programmatically.
 *
 * - E2E_ENGINE=docker (default) or podman chooses the engine. For Podman the docker provider talks to DOCKER_HOST or,
 *   unset, the rootless socket unix://$XDG_RUNTIME_DIR/podman/podman.sock.
 * - Without the `pulumi` CLI or a reachable engine it prints ONE line, `e2e: SKIPPED (not run, not passed): <why>`,
 *   and exits 0: a skip is not a pass. With E2E_REQUIRED=1 (CI) a missing prerequisite fails instead (exit 1).
 * - Then, before anything else, it prints the engine's version and cgroup manager, and fails at once (exit 1) on an
 *   engine the test was not written for (engine.ts WRITTEN_FOR) or, with E2E_REQUIRED, on a Pulumi CLI other than the
 *   SDK's pinned version (package.json @pulumi/pulumi; without E2E_REQUIRED a different CLI is said on one line).
 * - `--preflight`: only the engine part of that (no Pulumi CLI needed), for CI to run before it installs the CLI.
 * - Otherwise it exits with mocha's failure count (capped at 255).
 *
 * The files are named *.e2e.ts, never *.test.ts, so `npm test` (mocha on the *.test.ts files under test/) leaves them out.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Mocha from "mocha";
import {
  describeEngine,
  engineFacts,
  engineFromEnv,
  engineProblem,
  missingEngine,
  missingPrerequisite,
  pinnedPulumiVersion,
  pulumiCliVersion,
  pulumiVersionProblem,
  type EngineName,
} from "./engine";

/** Per test and hook: `up` may pull the images first. */
const TIMEOUT_MS = 40 * 60_000;

function required(): boolean {
  return ["1", "true", "yes"].includes((process.env.E2E_REQUIRED ?? "").trim().toLowerCase());
}

async function main(): Promise<number> {
  let engine: EngineName;
  try {
    engine = engineFromEnv();
  } catch (e) {
    console.error(`e2e: ${(e as Error).message}`);
    return 2;
  }

  const preflight = process.argv.includes("--preflight");
  const missing = preflight ? await missingEngine(engine) : await missingPrerequisite(engine);
  if (missing !== undefined) {
    if (required()) {
      console.error(`e2e: FAILED (not run): ${missing}; E2E_REQUIRED is set, so a missing prerequisite is an error`);
      return 1;
    }
    console.log(`e2e: SKIPPED (not run, not passed): ${missing}`);
    return 0;
  }

  const facts = await engineFacts(engine);
  console.log(`e2e: engine ${describeEngine(facts)}`);
  const unsupported = engineProblem(facts);
  if (unsupported !== undefined) {
    console.error(`e2e: FAILED (not run): ${unsupported}; check the engine against the test (test/e2e/engine.ts WRITTEN_FOR) before trusting a run`);
    return 1;
  }
  if (preflight) return 0;

  const pin = pinnedPulumiVersion();
  const cli = await pulumiCliVersion();
  const mismatch = pulumiVersionProblem(cli, pin);
  if (mismatch !== undefined && required()) {
    console.error(`e2e: FAILED (not run): ${mismatch}; E2E_REQUIRED is set, so CI must run the pinned CLI`);
    return 1;
  }
  console.log(mismatch === undefined ? `e2e: pulumi CLI ${cli} (the SDK's pinned version)` : `e2e: note: ${mismatch}; the run goes on`);

  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith(".e2e.ts")).sort();
  // Steps depend on each other: stop at the first failure (after-all hooks, the cleanup, still run).
  const mocha = new Mocha({ timeout: TIMEOUT_MS, slow: 5 * 60_000, reporter: "spec", bail: true, failZero: true });
  for (const file of files) mocha.addFile(path.join(__dirname, file));
  console.log(`e2e: engine ${engine}; running ${files.join(", ")}`);
  const failures = await new Promise<number>((resolve) => {
    mocha.run(resolve);
  });
  return Math.min(failures, 255);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
