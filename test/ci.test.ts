/**
 * The pull-request checks: the workflow's pins (runner image, Pulumi CLI), the suites it must run, the skip guard
 * (scripts/ci-test.ts), and the e2e harness's bounds and engine check (test/e2e/engine.ts, run.ts), which run here
 * without an engine or the Pulumi CLI.
 */
import * as assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { ALLOWED_SKIPS, SKIP_MARK, skipLines, suitesRequired, unexpectedSkips } from "../scripts/ci-test";
import {
  childPids,
  engineProblem,
  exec,
  pinnedPulumiVersion,
  pulumiVersionProblem,
  withDeadline,
  type EngineFacts,
  type ExecError,
} from "./e2e/engine";

const ROOT = path.resolve(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  "runs-on": string;
  "timeout-minutes"?: number;
  env?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown[]> };
  services?: Record<string, { options?: string }>;
  steps: Step[];
}
const workflow = () => yaml.load(read(".github/workflows/pull-request.yml")) as { jobs: Record<string, Job> };

describe("ci: the pull-request workflow", function () {
  const PINNED = "ubuntu-24.04";
  const NEXT_LTS = "ubuntu-26.04";

  it("every job runs on the pinned runner image; only the e2e adds the next LTS; nothing says ubuntu-latest", () => {
    assert.doesNotMatch(read(".github/workflows/pull-request.yml"), /runs-on:\s*ubuntu-latest|runner: \[[^\]]*ubuntu-latest/);
    for (const [name, job] of Object.entries(workflow().jobs)) {
      if (name === "e2e") {
        assert.equal(job["runs-on"], "${{ matrix.runner }}");
        assert.deepEqual(job.strategy?.matrix?.runner, [PINNED, NEXT_LTS]);
        assert.deepEqual(job.strategy?.matrix?.engine, ["docker", "podman"]);
      } else {
        assert.equal(job["runs-on"], PINNED, name);
      }
      assert.ok((job["timeout-minutes"] ?? 0) > 0 && (job["timeout-minutes"] ?? 0) <= 45, `${name} has a timeout`);
    }
  });

  it("every pulumi/actions step installs the CLI at the SDK's version, read from package.json", () => {
    let seen = 0;
    for (const [name, job] of Object.entries(workflow().jobs)) {
      const actions = job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));
      if (actions.length === 0) continue;
      const pin = job.steps.find((s) => s.id === "pin");
      assert.ok(pin?.run?.includes(`require("./package.json").dependencies["@pulumi/pulumi"]`), `${name}: the pin step reads package.json`);
      assert.ok(pin && job.steps.indexOf(pin) < job.steps.indexOf(actions[0]), `${name}: pin before install`);
      for (const step of actions) {
        assert.equal(step.with?.["pulumi-version"], "${{ steps.pin.outputs.pulumi }}", name);
        seen++;
      }
    }
    assert.equal(seen, 2, "the e2e and the preview install the CLI");
    assert.equal(pinnedPulumiVersion(), "3.248.0");
    const lock = JSON.parse(read("package-lock.json")) as { packages: Record<string, { version?: string }> };
    assert.equal(lock.packages["node_modules/@pulumi/pulumi"]?.version, pinnedPulumiVersion(), "package-lock.json agrees");
  });

  it("the test jobs install what .ci/run installs, with the same script, and fail on a skipped suite", () => {
    for (const name of ["test", "test-timescaledb"]) {
      const job = workflow().jobs[name];
      const runs = job.steps.map((s) => s.run ?? "");
      const install = runs.indexOf("bash scripts/ci-install.sh");
      assert.ok(install >= 0, `${name} runs scripts/ci-install.sh`);
      assert.ok(install < runs.indexOf("npm run test:ci"), `${name}: install, then npm run test:ci`);
      assert.ok(!runs.includes("npm test"), `${name}: no bare npm test (it would not fail on a skip)`);
      assert.equal(job.env?.SUITES_REQUIRED, "1", name);
    }
    const ciRun = read(".ci/run");
    assert.match(ciRun, /^\. scripts\/ci-install\.sh$/m, ".ci/run sources the same script");
    assert.match(ciRun, /^npm run test:ci$/m);
    assert.match(ciRun, /^npm run test:e2e$/m);
  });

  it("the TimescaleDB service is healthy only once the real server listens on TCP", () => {
    const options = workflow().jobs["test-timescaledb"].services?.timescaledb.options ?? "";
    assert.match(options, /--health-cmd "pg_isready -h 127\.0\.0\.1 /);
  });

  it("the e2e job checks the engine before it installs the CLI, and requires the CLI and engine", () => {
    const job = workflow().jobs.e2e;
    const steps = job.steps;
    const at = (pred: (s: Step) => boolean, what: string) => {
      const i = steps.findIndex(pred);
      assert.ok(i >= 0, what);
      return i;
    };
    const facts = at((s) => s.name === "Engine version and cgroup manager", "engine facts step");
    const checkout = at((s) => s.uses?.startsWith("actions/checkout@") === true, "checkout");
    const preflight = at((s) => s.run === "npm run -s test:e2e -- --preflight", "preflight");
    const install = at((s) => s.uses?.startsWith("pulumi/actions@") === true, "CLI install");
    const e2e = at((s) => s.run === "npm run test:e2e", "e2e");
    assert.ok(facts < checkout && preflight < install && install < e2e);
    assert.equal(job.env?.E2E_REQUIRED, "1");
    assert.equal(job.env?.E2E_ENGINE, "${{ matrix.engine }}");
  });
});

describe("ci: the skip guard (scripts/ci-test.ts)", function () {
  const output = [
    "  pg-settings",
    `      ${SKIP_MARK}: no /usr/lib/postgresql/15/bin/postgres; apt-get install postgresql-15 to run it`,
    "    ✔ something",
    `      ${SKIP_MARK} here: COPY FROM STDIN crashes PGlite (the embedded engine); scaled-copy.test.ts runs it on PostgreSQL 15, TIMESCALE_URL runs it here`,
  ].join("\n");

  it("finds every SKIPPED line and lets through only the skips that are by design in this environment", () => {
    assert.equal(skipLines(output).length, 2);
    assert.deepEqual(unexpectedSkips(output, {}), [skipLines(output)[0]], "embedded engine: the PGlite COPY skip is by design");
    assert.deepEqual(unexpectedSkips(output, { TIMESCALE_URL: "postgresql://x@127.0.0.1/db" }), skipLines(output), "native server: nothing may skip");
    assert.deepEqual(unexpectedSkips("  ✔ all ran\n", {}), []);
  });

  it("SUITES_REQUIRED takes 1, true or yes", () => {
    for (const v of ["1", "true", "YES", " yes "]) assert.equal(suitesRequired({ SUITES_REQUIRED: v }), true, v);
    for (const v of [undefined, "", "0", "no", "false"]) assert.equal(suitesRequired({ SUITES_REQUIRED: v }), false, String(v));
  });

  it("each allowed skip matches a skip message the suites really print (the list cannot go stale)", () => {
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (entry.name.endsWith(".test.ts") && p !== __filename) sources.push(fs.readFileSync(p, "utf8"));
      }
    };
    walk(path.join(ROOT, "test"));
    const messages = sources.flatMap((s) => s.split("\n").filter((l) => l.includes(SKIP_MARK)));
    assert.ok(messages.length >= 5, "the suites' skip messages");
    for (const allowed of ALLOWED_SKIPS) assert.ok(messages.some((m) => allowed.pattern.test(m)), `${allowed.pattern} matches a real skip message`);
  });
});

describe("ci: the e2e harness (test/e2e/engine.ts)", function () {
  this.timeout(30_000);
  const facts = (engine: "docker" | "podman", version: string, cgroupManager = "systemd", cgroupVersion = "2"): EngineFacts => ({ engine, version, cgroupManager, cgroupVersion });

  it("accepts the runner images' engines: 24.04's Docker 28 and Podman 5.8 (cgroupfs), 26.04's Docker 29 and Podman 5.7 (systemd), Ubuntu's Podman 4.9", () => {
    for (const f of [
      facts("docker", "28.0.4"),
      facts("docker", "29.4.2"),
      facts("docker", "28.0.4", "cgroupfs"),
      facts("podman", "5.8.4", "cgroupfs"),
      facts("podman", "5.7.0"),
      facts("podman", "4.9.3"),
    ]) {
      assert.equal(engineProblem(f), undefined, JSON.stringify(f));
    }
  });

  it("fails fast, saying what it was written for, on a version, cgroup version or cgroup manager it was not", () => {
    assert.equal(engineProblem(facts("podman", "6.1.0")), "podman 6.1.0: the e2e was written for podman 4.9.0 to 5.x");
    assert.equal(engineProblem(facts("podman", "4.8.2")), "podman 4.8.2: the e2e was written for podman 4.9.0 to 5.x");
    assert.equal(engineProblem(facts("docker", "30.0.1")), "docker 30.0.1: the e2e was written for docker 20.10.0 to 29.x");
    assert.equal(engineProblem(facts("docker", "20.10.24")), undefined);
    assert.equal(engineProblem(facts("docker", "19.03.15")), "docker 19.03.15: the e2e was written for docker 20.10.0 to 29.x");
    assert.equal(engineProblem(facts("docker", "28.0.4", "systemd", "1")), "docker 28.0.4 runs on cgroup v1; the e2e was written for cgroup v2");
    assert.equal(engineProblem(facts("podman", "5.8.4", "")), 'podman 5.8.4 has cgroup manager ""; the e2e was written for systemd or cgroupfs');
    assert.match(engineProblem(facts("docker", "dev")) ?? "", /reports version "dev"/);
  });

  it("compares `pulumi version` with the pinned SDK version", () => {
    assert.equal(pulumiVersionProblem("v3.248.0\n", "3.248.0"), undefined);
    assert.equal(pulumiVersionProblem("v3.257.0", "3.248.0"), "pulumi CLI is 3.257.0, the SDK is pinned at 3.248.0 (package.json @pulumi/pulumi)");
  });

  it("exec: a command past its timeout is killed and the failure names the step", async () => {
    const started = Date.now();
    await assert.rejects(exec("sleep", ["20"], { step: "step 2: inspect x", timeoutMs: 200, killGraceMs: 200 }), (e: ExecError) => {
      assert.equal(e.message, "step 2: inspect x: sleep 20 did not finish within 0 s (killed)");
      assert.equal(e.code, "ETIMEDOUT");
      return true;
    });
    assert.ok(Date.now() - started < 5000, "killed at once: sleep takes SIGTERM");
    const ok = await exec("sh", ["-c", "echo out; echo err >&2"], { step: "echo", timeoutMs: 10_000 });
    assert.deepEqual(ok, { stdout: "out\n", stderr: "err\n" });
    await assert.rejects(exec("sh", ["-c", "echo no such thing >&2; exit 3"], { step: "step 8: restore", timeoutMs: 10_000 }), /^Error: step 8: restore: sh -c .* failed: no such thing$/);
  });

  it("exec: gives up at the deadline even when the command ignores SIGTERM and a child keeps its output open", async () => {
    const started = Date.now();
    // The shell ignores SIGTERM (and so does its sleep, which inherits that); SIGKILL ends the shell, but the sleep
    // keeps the output pipe open for 3 s, so execFile's own callback would wait for it.
    await assert.rejects(exec("sh", ["-c", "trap '' TERM; sleep 3; echo late"], { step: "hung", timeoutMs: 200, killGraceMs: 200 }), /^Error: hung: sh -c .* did not finish within/);
    const took = Date.now() - started;
    assert.ok(took >= 550 && took < 2500, `rejected after timeout + 2 × grace, not when the pipe closed (${took} ms)`);
  });

  it("withDeadline: aborts the operation's signal at the deadline and fails naming the step after the grace", async () => {
    let aborted = false;
    const never = (signal: AbortSignal) =>
      new Promise<never>(() => {
        signal.addEventListener("abort", () => {
          aborted = true;
        });
      });
    const quiet = console.error;
    console.error = () => undefined;
    try {
      await assert.rejects(withDeadline({ step: "step 1: pulumi up", timeoutMs: 100 }, never, 100), /^Error: step 1: pulumi up: did not finish within 0 s \(cancelled, then terminated 0 s later\)$/);
    } finally {
      console.error = quiet;
    }
    assert.equal(aborted, true);
    assert.equal(await withDeadline({ step: "quick", timeoutMs: 1000 }, async () => 42, 100), 42);
    await assert.rejects(withDeadline({ step: "fails", timeoutMs: 1000 }, async () => Promise.reject(new Error("its own error")), 100), /^Error: its own error$/);
  });

  it("childPids finds this process's own children by command name, from /proc", async function () {
    if (!fs.existsSync("/proc/self/stat")) this.skip();
    const child = spawn("sleep", ["10"], { stdio: "ignore" });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(childPids("sleep"), [child.pid]);
      assert.deepEqual(childPids("pulumi"), []);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("run.ts: without the Pulumi CLI it skips with one line and exit 0; with E2E_REQUIRED it fails", async () => {
    // No pulumi and no engine on this PATH, whatever the machine has: only node itself.
    const env = { ...process.env, PATH: path.dirname(process.execPath), E2E_ENGINE: "docker" };
    const run = (extra: NodeJS.ProcessEnv) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "test/e2e/run.ts")], { env: { ...env, ...extra }, cwd: ROOT, timeout: 25_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as ExecError).code ?? 1) : 0, stdout, stderr }),
        );
      });
    // Both at once: each is a node process starting ts-node, most of the test's time.
    const [local, ci] = await Promise.all([run({ E2E_REQUIRED: "" }), run({ E2E_REQUIRED: "1" })]);
    assert.equal(local.code, 0);
    assert.equal(local.stdout, "e2e: SKIPPED (not run, not passed): pulumi CLI not found on PATH\n");
    assert.equal(ci.code, 1);
    assert.equal(ci.stderr, "e2e: FAILED (not run): pulumi CLI not found on PATH; E2E_REQUIRED is set, so a missing prerequisite is an error\n");
  });
});
