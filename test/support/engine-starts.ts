/**
 * Engine starts, for `npm run bench:tests` (scripts/bench-tests.ts): when TEST_ENGINE_LOG names a file, every start of
 * a test engine (the embedded TimescaleDB, a PGlite, a PostgreSQL 15 server, an initdb) appends one JSON line to it:
 * its kind, how long it took and the process. Without the variable nothing is written.
 */
import * as fs from "node:fs";

export type EngineKind = "timescale" | "pglite" | "pglite-snapshot" | "pg15" | "pg15-initdb";

export function recordEngineStart(kind: EngineKind, ms: number): void {
  const file = process.env.TEST_ENGINE_LOG;
  if (!file) return;
  fs.appendFileSync(file, `${JSON.stringify({ kind, ms, pid: process.pid })}\n`);
}
