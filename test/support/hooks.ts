/**
 * Root hooks (a mocha root-hook plugin, loaded by .mocharc.cjs's `require`). In the parallel run (the default, one
 * worker process per core) mocha runs root hooks around every test file, each worker keeping its modules, and so its
 * engines, from one file to the next (mocha lib/nodejs/worker.js: one Mocha per file in a long-lived process). So
 * after each file the shared test server is cleaned (`endTestFile`: connections closed and the session reset on the
 * embedded engine, the file's schemas and roles dropped on a TIMESCALE_URL server) and stays up for the worker's next
 * file; the worker's engines end with its process. With --jobs 1 (serial: one process, root hooks around the whole
 * run) the server is stopped after the last file, as before.
 *
 * With TEST_FILE_LOG naming a file (`npm run bench:tests` sets it), each file's wall and CPU time in its worker is
 * appended to it as one JSON line (the whole run as one line with --jobs 1). CPU is the worker process's own: servers
 * that daemonize (PostgreSQL 15 under pg_ctl) and tools it waits for are not in it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { endTestFile, stopTimescale } from "./timescale";

/** mocha gives workers a MOCHA_WORKER_ID (lib/nodejs/buffered-worker-pool.js onCreateWorker). */
const inWorker = process.env.MOCHA_WORKER_ID !== undefined;

let began: { wall: number; cpu: NodeJS.CpuUsage } | undefined;

/** The test file the root suite holds (in a worker, one file per run of the root hooks). */
function currentFile(ctx: Mocha.Context): string {
  const file = ctx.test?.parent?.suites.find((s) => s.file)?.file ?? ctx.test?.parent?.file;
  return inWorker && file ? path.relative(process.cwd(), file) : "(all files)";
}

export const mochaHooks = {
  beforeAll(): void {
    if (process.env.TEST_FILE_LOG) began = { wall: performance.now(), cpu: process.cpuUsage() };
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await (inWorker ? endTestFile() : stopTimescale());
    const log = process.env.TEST_FILE_LOG;
    if (log && began) {
      const cpu = process.cpuUsage(began.cpu);
      const line = { file: currentFile(this), wallMs: Math.round(performance.now() - began.wall), cpuMs: Math.round((cpu.user + cpu.system) / 1000), pid: process.pid };
      fs.appendFileSync(log, `${JSON.stringify(line)}\n`);
    }
  },
};
