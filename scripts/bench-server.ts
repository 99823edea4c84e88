/**
 * What the benchmark scripts share: the server they measure (TIMESCALE_URL, or the embedded PGlite + TimescaleDB
 * started for the run) and how a script's main reports its exit.
 */
import { performance } from "node:perf_hooks";
import type { Client } from "pg";
import type { Connection } from "../components/database/providers/live";
import { parseDatabaseUrl } from "../components/database/providers/connection";
import { serveTimescale } from "../test/support/serve-timescale";

/** Runs `fn` against TIMESCALE_URL when set, else against an embedded engine started (and stopped) for it. */
export async function onBenchServer(log: (line: string) => void, fn: (connection: Connection) => Promise<void>): Promise<void> {
  const url = process.env.TIMESCALE_URL;
  if (url) {
    const conn = parseDatabaseUrl(url, "TIMESCALE_URL");
    log(`server: TIMESCALE_URL (${conn.host}:${conn.port}/${conn.database})`);
    await fn(conn);
    return;
  }
  const t0 = performance.now();
  const served = await serveTimescale({ port: 0, database: "bench", user: "bench", password: "bench" });
  log(`server: embedded PGlite + TimescaleDB, started in ${Math.round(performance.now() - t0)} ms`);
  try {
    const { host, port, database, user, password } = served;
    await fn({ host, port, database, user, password });
  } finally {
    await served.stop();
  }
}

/** Runs a script's `main` and sets the exit code; an error is one line naming the script. */
export function runBenchMain(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(`${name}: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}

/** The median time of `runs` runs of `sql`, and the last run's rows. */
export async function timeQuery(c: Client, sql: string, runs: number): Promise<{ ms: number; rows: unknown[] }> {
  const times: number[] = [];
  let rows: unknown[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    rows = (await c.query(sql)).rows;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], rows };
}
