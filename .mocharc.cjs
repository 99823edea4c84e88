/* global require, module */
// mocha's configuration. The test files run in parallel, one worker process per core (mocha's default is one fewer):
// each worker keeps one embedded TimescaleDB for the files it runs (test/support/hooks.ts, timescale.ts). --jobs 1 on
// the command line runs them serially in one process.
const os = require("node:os");

const jobs = Math.max(1, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);

module.exports = {
  require: ["ts-node/register/transpile-only", "test/support/hooks.ts"],
  extension: ["ts"],
  timeout: 60000,
  reporter: "spec",
  parallel: jobs > 1,
  jobs,
};
