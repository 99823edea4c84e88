/**
 * How long `npm test` takes, and where the time goes. Runs the suite exactly as `npm test` does (mocha with
 * .mocharc.cjs over 'test/**\/*.test.ts'), once per mode given, and prints the figures of the runs side by side:
 * wall time, CPU time of every process of the run (mocha and its workers), tests passed / pending / failed, engine
 * starts by kind (test/support/engine-starts.ts: the embedded TimescaleDB, PGlite instances, PostgreSQL 15 servers,
 * PGlite snapshots made), and each run's 10 slowest tests and, in parallel runs, 10 slowest files (test/support/hooks.ts
 * TEST_FILE_LOG: the worker's wall and CPU time per file, its `before` hooks and engine starts included).
 *
 *   npm run bench:tests                  # the default (parallel, one worker per core) and --jobs 1 (serial)
 *   npm run bench:tests -- --modes default
 *   npm run bench:tests -- --modes default,serial --cold   # without the PGlite snapshot files of earlier runs
 *
 * The machine's load changes wall times: compare runs of one invocation, and look at the CPU time too.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";

interface MochaJson {
  stats: { passes: number; pending: number; failures: number; tests: number };
  tests: { fullTitle: string; file?: string; duration?: number }[];
  failures: { fullTitle: string; err: { message?: string } }[];
}

interface Run {
  mode: string;
  wallS: number;
  cpuUserS: number;
  cpuSysS: number;
  exit: number;
  result: MochaJson;
  starts: Map<string, { n: number; ms: number }>;
  files: { file: string; wallMs: number; cpuMs: number }[];
}

const ROOT = path.resolve(__dirname, "..");
const MODES: Record<string, string[]> = { default: [], serial: ["--jobs", "1"] };

/** CPU seconds of this process's waited-for descendants (/proc/self/stat fields cutime and cstime, in clock ticks). */
function childrenCpu(): { user: number; sys: number } {
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields after the command: state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here.
  const tick = 100; // USER_HZ, 100 on Linux
  return { user: Number(fields[13]) / tick, sys: Number(fields[14]) / tick };
}

async function runSuite(mode: string, cold: boolean): Promise<Run> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-tests-"));
  const json = path.join(tmp, "mocha.json");
  const engines = path.join(tmp, "engines.jsonl");
  const fileLog = path.join(tmp, "files.jsonl");
  if (cold) for (const f of fs.readdirSync(os.tmpdir())) if (/^crypto-scout-db-pglite-.*\.tar$/.test(f)) fs.rmSync(path.join(os.tmpdir(), f));
  const mocha = require.resolve("mocha/bin/mocha.js");
  const args = [mocha, "test/**/*.test.ts", ...MODES[mode], "--reporter", "json", "--reporter-option", `output=${json}`];
  const cpu0 = childrenCpu();
  const t0 = process.hrtime.bigint();
  const exit = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, TEST_ENGINE_LOG: engines, TEST_FILE_LOG: fileLog } });
    child.on("close", (code) => resolve(code ?? -1));
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = childrenCpu();
  const result = JSON.parse(fs.readFileSync(json, "utf8")) as MochaJson;
  const starts = new Map<string, { n: number; ms: number }>();
  if (fs.existsSync(engines)) {
    for (const line of fs.readFileSync(engines, "utf8").split("\n").filter(Boolean)) {
      const { kind, ms } = JSON.parse(line) as { kind: string; ms: number };
      const s = starts.get(kind) ?? { n: 0, ms: 0 };
      starts.set(kind, { n: s.n + 1, ms: s.ms + ms });
    }
  }
  const files = fs.existsSync(fileLog) ? fs.readFileSync(fileLog, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Run["files"][number]) : [];
  fs.rmSync(tmp, { recursive: true, force: true });
  return { mode, wallS, cpuUserS: cpu1.user - cpu0.user, cpuSysS: cpu1.sys - cpu0.sys, exit, result, starts, files };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { modes: { type: "string", default: "default,serial" }, cold: { type: "boolean", default: false } } });
  const modes = values.modes.split(",").map((m) => m.trim());
  for (const m of modes) if (!MODES[m]) throw new Error(`--modes: ${m} is not one of ${Object.keys(MODES).join(", ")}`);
  const runs: Run[] = [];
  for (const mode of modes) {
    console.error(`bench:tests: running the suite (${mode}: mocha ${["'test/**/*.test.ts'", ...MODES[mode]].join(" ")})...`);
    const run = await runSuite(mode, values.cold);
    runs.push(run);
    const { passes, pending, failures } = run.result.stats;
    console.error(`bench:tests: ${mode}: ${run.wallS.toFixed(1)} s wall, ${(run.cpuUserS + run.cpuSysS).toFixed(1)} s CPU, ${passes} passing, ${pending} pending, ${failures} failing`);
  }
  const kinds = [...new Set(runs.flatMap((r) => [...r.starts.keys()]))].sort();
  const rows: string[][] = [
    ["", ...runs.map((r) => (r.mode === "default" ? `default (${os.availableParallelism()} jobs)` : r.mode))],
    ["wall time (s)", ...runs.map((r) => r.wallS.toFixed(1))],
    ["CPU user + sys (s)", ...runs.map((r) => `${r.cpuUserS.toFixed(1)} + ${r.cpuSysS.toFixed(1)}`)],
    ["passing / pending / failing", ...runs.map((r) => `${r.result.stats.passes} / ${r.result.stats.pending} / ${r.result.stats.failures}`)],
    ...kinds.map((k) => [`starts: ${k} (count, s)`, ...runs.map((r) => {
      const s = r.starts.get(k);
      return s ? `${s.n}, ${(s.ms / 1000).toFixed(1)}` : "0";
    })]),
  ];
  console.log(`${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} at the end`);
  console.log(table(rows));
  for (const r of runs) {
    console.log(`\nslowest 10 tests (${r.mode}):`);
    const slow = [...r.result.tests].sort((a, b) => (b.duration ?? 0) - (a.duration ?? 0)).slice(0, 10);
    for (const t of slow) console.log(`  ${String(t.duration ?? 0).padStart(6)} ms  ${path.relative(ROOT, t.file ?? "")}: ${t.fullTitle.slice(0, 110)}`);
    if (r.files.length > 1) {
      console.log(`\nslowest 10 files (${r.mode}; wall and CPU of the worker while it ran the file, hooks included):`);
      for (const f of [...r.files].sort((a, b) => b.wallMs - a.wallMs).slice(0, 10)) {
        console.log(`  ${String(f.wallMs).padStart(6)} ms wall ${String(f.cpuMs).padStart(6)} ms CPU  ${f.file}`);
      }
    }
    for (const f of r.result.failures) console.log(`  FAILED: ${f.fullTitle}: ${(f.err.message ?? "").split("\n")[0]}`);
  }
  if (runs.some((r) => r.exit !== 0)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`bench:tests: ${(e as Error).message}`);
  process.exit(1);
});
