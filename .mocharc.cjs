/* global require, module, process, __dirname */
// mocha's configuration. The test files run in parallel, one worker process per core (mocha's default is one fewer):
// each worker keeps one embedded TimescaleDB for the files it runs (test/support/hooks.ts, timescale.ts). Against a
// TIMESCALE_URL server the files run one after another, as the suites were written for (one shared database; behind
// TIMESCALE_URL may also be serve-timescale.ts, whose connections share one session). `--jobs N` on the command
// line overrides either choice; with --jobs 1 mocha runs the files serially in its own process (lib/mocha.js turns
// parallel mode on only for more than one job).
const os = require("node:os");
const path = require("node:path");

// ts-node in this process and in the workers (which inherit the environment) reads tsconfig.test.json: SWC as the
// transpiler. A TS_NODE_PROJECT set by the caller wins.
process.env.TS_NODE_PROJECT ??= path.join(__dirname, "tsconfig.test.json");

const cores = Math.max(1, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
const jobs = process.env.TIMESCALE_URL ? 1 : cores;

module.exports = {
  require: ["ts-node/register/transpile-only", "test/support/hooks.ts"],
  extension: ["ts"],
  timeout: 60000,
  reporter: "spec",
  parallel: true,
  jobs,
};
