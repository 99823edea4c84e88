/**
 * Root hooks (a mocha root-hook plugin, loaded by .mocharc.cjs's `require`). In the parallel run (the default, one
 * worker process per core) mocha runs root hooks around every test file, each worker keeping its modules, and so its
 * engines, from one file to the next (mocha lib/nodejs/worker.js: one Mocha per file in a long-lived process). So
 * after each file the shared test server is cleaned (`endTestFile`: connections closed and the session reset on the
 * embedded engine, the file's schemas and roles dropped on a TIMESCALE_URL server) and stays up for the worker's next
 * file; the worker's engines end with its process. With --jobs 1 (serial: one process, root hooks around the whole
 * run) the server is stopped after the last file, as before.
 */
import { endTestFile, stopTimescale } from "./timescale";

/** mocha gives workers a MOCHA_WORKER_ID (lib/nodejs/buffered-worker-pool.js onCreateWorker). */
const inWorker = process.env.MOCHA_WORKER_ID !== undefined;

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await (inWorker ? endTestFile() : stopTimescale());
  },
};
