/**
 * Debian's PostgreSQL 15 server (package postgresql-15, which .ci/run installs when missing), started by a test in a
 * temporary directory on a free loopback port, and stopped again. No TimescaleDB: for what needs a native server
 * rather than the embedded engine (TLS, COPY FROM STDIN, which crashes PGlite). Skips with one line without it.
 *
 * Fast to start: the directories are on the RAM filesystem (/dev/shm) where the machine has one, and initdb runs once
 * per bootstrap user and password for the whole run, every worker of it: its data directory is kept as a template
 * (`pg15Template`) and each server starts from a copy. On this machine's disk an initdb took 0.9-1.7 s (most of it
 * the kernel creating a thousand files), a copy of the template on /dev/shm 0.1 s.
 */
import { createHash } from "node:crypto";
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

/** The RAM filesystem when there is one (test servers lose nothing worth keeping), else the temporary directory. */
export function scratchDir(): string {
  try {
    fs.accessSync("/dev/shm", fs.constants.W_OK);
    return "/dev/shm";
  } catch {
    return os.tmpdir();
  }
}

/** uid and gid to run the server's programs as: postgres refuses to run as root. */
export function serverUser(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) } : {};
}

/**
 * A data directory as `initdb -U user --pwfile <password> -A scram-sha-256 -E UTF8 --locale C` makes it, made once
 * and kept for later calls, in this process and in every other one of the run (a directory under scratchDir() named
 * by a hash of the server's version and the arguments, renamed into place when complete, so a concurrent caller
 * never sees half of one; removed by nothing: a later run reuses it). Copy it (`cp -a`) before starting a server on it.
 */
export function pg15Template(user: string, password: string): string {
  const version = execFileSync(path.join(PG15_BIN, "postgres"), ["--version"]).toString().trim();
  const key = createHash("sha256").update(JSON.stringify([version, user, password, "scram-sha-256", "UTF8", "C"])).digest("hex").slice(0, 16);
  const template = path.join(scratchDir(), `crypto-scout-db-pg15-${key}`);
  if (fs.existsSync(path.join(template, "PG_VERSION"))) return template;
  const asPostgres = serverUser();
  const work = fs.mkdtempSync(`${template}.tmp-`);
  fs.chmodSync(work, 0o755);
  try {
    const pw = path.join(work, "pw");
    fs.writeFileSync(pw, `${password}\n`, { mode: 0o600 });
    if (asPostgres.uid !== undefined) {
      fs.chownSync(work, asPostgres.uid, asPostgres.gid as number);
      fs.chownSync(pw, asPostgres.uid, asPostgres.gid as number);
    }
    const began = Date.now();
    const data = path.join(work, "data");
    execFileSync(path.join(PG15_BIN, "initdb"), ["-D", data, "-U", user, "--pwfile", pw, "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale", "C"], {
      stdio: ["ignore", "ignore", "pipe"],
      ...asPostgres,
    });
    recordEngineStart("pg15-initdb", Date.now() - began);
    try {
      fs.renameSync(data, template);
    } catch (e) {
      // Another process of the run made it first: use theirs.
      if (!fs.existsSync(path.join(template, "PG_VERSION"))) throw e;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return template;
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
  const asPostgres = serverUser();
  const began = Date.now();
  const dir = fs.mkdtempSync(path.join(scratchDir(), "pg15-test-"));
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
    // What initdb would make, from the run's template (same arguments as before: SCRAM, UTF8, C).
    execFileSync("cp", ["-a", pg15Template(options.user, options.password), pgdata]);
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
