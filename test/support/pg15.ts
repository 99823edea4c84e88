/**
 * Debian's PostgreSQL 15 server (package postgresql-15, which .ci/run installs when missing), started by a test in a
 * temporary directory on a free loopback port, and stopped again. No TimescaleDB: for what needs a native server
 * rather than the embedded engine (TLS, COPY FROM STDIN, which crashes PGlite). Skips with one line without it.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { recordEngineStart } from "./engine-starts";

export const PG15_BIN = "/usr/lib/postgresql/15/bin";

export interface Pg15 {
  readonly dir: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Files the server reads (certificates) must be owned by the server's user when the tests run as root. */
  own(file: string): void;
  stop(): void;
}

/** Why this machine cannot start one, or undefined when it can. */
export function pg15Missing(): string | undefined {
  return fs.existsSync(path.join(PG15_BIN, "initdb")) ? undefined : `no ${PG15_BIN}/initdb; apt-get install postgresql-15 to run it`;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * initdb (SCRAM, `user` as the bootstrap superuser) and start. `prepare` runs between the two with the data
 * directory, to write pg_hba.conf or certificates; `conf` lines go to postgresql.conf.
 */
export async function startPg15(options: {
  user: string;
  password: string;
  conf?: readonly string[];
  prepare?: (pg: Pg15, pgdata: string) => void;
}): Promise<Pg15> {
  const asPostgres: { uid?: number; gid?: number } =
    process.getuid?.() === 0 ? { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) } : {};
  const began = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg15-test-"));
  fs.chmodSync(dir, 0o755);
  const pgdata = path.join(dir, "data");
  const port = await freePort();
  let started = false;
  // postgres refuses to run as root, and wants its key readable by itself only.
  const own = (file: string) => {
    fs.chmodSync(file, 0o600);
    if (asPostgres.uid !== undefined) fs.chownSync(file, asPostgres.uid, asPostgres.gid as number);
  };
  const run = (bin: string, args: string[]) => execFileSync(path.join(PG15_BIN, bin), args, { stdio: ["ignore", "ignore", "pipe"], ...asPostgres });
  const pg: Pg15 = {
    dir,
    port,
    user: options.user,
    password: options.password,
    own,
    stop() {
      if (started) {
        try {
          run("pg_ctl", ["-D", pgdata, "-m", "immediate", "-w", "stop"]);
        } catch {
          // already gone
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    fs.writeFileSync(path.join(dir, "pw"), `${options.password}\n`);
    own(path.join(dir, "pw"));
    if (asPostgres.uid !== undefined) fs.chownSync(dir, asPostgres.uid, asPostgres.gid as number);
    run("initdb", ["-D", pgdata, "-U", options.user, "--pwfile", path.join(dir, "pw"), "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale", "C"]);
    options.prepare?.(pg, pgdata);
    const conf = [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, "fsync = off", ...(options.conf ?? [])];
    fs.appendFileSync(path.join(pgdata, "postgresql.conf"), `\n${conf.join("\n")}\n`);
    run("pg_ctl", ["-D", pgdata, "-l", path.join(dir, "server.log"), "-w", "-t", "15", "start"]);
    started = true;
    recordEngineStart("pg15", Date.now() - began);
    return pg;
  } catch (e) {
    pg.stop();
    throw e;
  }
}
