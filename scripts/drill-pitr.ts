/**
 * The point-in-time recovery drill: the whole recovery, on this machine, against a real PostgreSQL it starts itself,
 * with the script the PITR sidecar runs (components/backup/pitr.ts pitrScript: the same commands and flags).
 *
 *   npm run drill:pitr                                   # Debian's PostgreSQL 15 (/usr/lib/postgresql/15/bin)
 *   PG_BIN=/usr/lib/postgresql/17/bin npm run drill:pitr # another server; TimescaleDB too when it has it
 *
 * Steps: initdb; the server gets the program's pg_hba.conf (hba_file) and the replication role, its password set as
 * a SCRAM-SHA-256 verifier; `pitr.sh receive` streams WAL through the slot; three `pitr.sh backup` runs (base backup,
 * pg_verifybackup, keep 2, pg_archivecleanup); rows committed before a recorded server time T, rows after it; then
 * the ticker's write rate (a row every 100 ms) until the data directory is lost (immediate stop, directory deleted).
 * Two restores with `pitr.sh restore` into fresh data directories: to T (counts the rows before and after T) and to
 * the end of the archive (the lost-volume case: how much committed data the archive did not have).
 * With TimescaleDB on that server the table is a hypertable whose older chunks are compressed before the backups.
 *
 * The last line: `pitr drill: restored to <T>: <n> of <n> rows committed before T, 0 after; data lost on volume
 * loss: <x> s`. Runs as the postgres user when started as root (postgres refuses root).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { pgHbaConf, pgpassLine, pitrScript, PITR_SLOT, REPLICATION_ROLE } from "../components/backup/pitr";
import { scramSha256Verifier } from "../components/database/scram";

export const DEFAULT_PG_BIN = "/usr/lib/postgresql/15/bin";

export interface DrillResult {
  /** The recovery target, as the server printed clock_timestamp(). */
  readonly target: string;
  readonly committedBefore: number;
  readonly committedAfter: number;
  readonly restoredBefore: number;
  readonly restoredAfter: number;
  /** Rows in compressed chunks before the backups, and how many the restore to T has (TimescaleDB only). */
  readonly compressed?: { readonly committed: number; readonly restored: number };
  /** Seconds of committed writes the end-of-archive restore did not have (server commit times). */
  readonly lostSeconds: number;
  /** Rows committed at the ticker rate before the loss, and restored from the archive. */
  readonly streamCommitted: number;
  readonly streamRestored: number;
  /** Base backups left after three runs with keep 2, and whether WAL before the oldest kept one was removed. */
  readonly baseBackups: readonly string[];
  readonly walBeforeOldestRemoved: boolean;
  readonly walFromOldestKept: boolean;
  readonly timescaledb: boolean;
  readonly lastLine: string;
}

/** Why the drill cannot run here, or undefined. */
export function drillMissing(pgBin = process.env.PG_BIN ?? DEFAULT_PG_BIN): string | undefined {
  for (const tool of ["initdb", "pg_ctl", "postgres", "pg_receivewal", "pg_basebackup", "pg_verifybackup", "pg_archivecleanup"]) {
    if (!fs.existsSync(path.join(pgBin, tool))) return `no ${path.join(pgBin, tool)} (set PG_BIN, or apt-get install postgresql-15)`;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The drill. `workDir` is where its server, archive and restores live (the temporary directory by default; the test
 * suite passes the RAM filesystem).
 */
export async function runPitrDrill(options: { pgBin?: string; log?: (line: string) => void; workDir?: string } = {}): Promise<DrillResult> {
  const pgBin = options.pgBin ?? process.env.PG_BIN ?? DEFAULT_PG_BIN;
  const log = options.log ?? ((line: string) => console.log(line));
  const missing = drillMissing(pgBin);
  if (missing) throw new Error(`pitr drill: ${missing}`);

  const root = process.getuid?.() === 0;
  const asPostgres: { uid?: number; gid?: number } = root
    ? { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) }
    : {};
  const dir = fs.mkdtempSync(path.join(options.workDir ?? os.tmpdir(), "pitr-drill-"));
  fs.chmodSync(dir, 0o755);
  const own = (p: string) => {
    if (asPostgres.uid !== undefined) fs.chownSync(p, asPostgres.uid, asPostgres.gid as number);
  };
  own(dir);
  const pgdata = path.join(dir, "data");
  const archive = path.join(dir, "pitr");
  const port = await freePort();
  const admin = { user: "drill_admin", password: "drill-admin-password" };
  const replicationPassword = "drillReplicationPassword42";
  const env = { ...process.env, PATH: `${pgBin}:${process.env.PATH ?? ""}`, LC_ALL: "C" };
  const run = (bin: string, args: string[]) =>
    execFileSync(path.join(pgBin, bin), args, { stdio: ["ignore", "ignore", "pipe"], env, ...asPostgres });
  const write = (file: string, text: string, mode = 0o600) => {
    fs.writeFileSync(file, text, { mode });
    fs.chmodSync(file, mode);
    own(file);
  };

  // The sidecar's script, pointed at this server and this archive.
  const passFile = path.join(dir, "pgpass");
  write(passFile, pgpassLine("127.0.0.1", port, REPLICATION_ROLE, replicationPassword));
  const script = path.join(dir, "pitr.sh");
  write(script, pitrScript({ host: "127.0.0.1", port, user: REPLICATION_ROLE, passFile, dir: archive, slot: PITR_SLOT, keepBaseBackups: 2, baseBackupIntervalSeconds: 3600 }), 0o755);
  const hbaFile = path.join(dir, "pg_hba.conf");
  write(hbaFile, pgHbaConf(REPLICATION_ROLE));
  const sh = (args: string[]) => execFileSync("sh", [script, ...args], { env, ...asPostgres, stdio: ["ignore", "pipe", "pipe"] }).toString();

  const children: ChildProcess[] = [];
  const started: string[] = [];
  const startServer = (data: string) => {
    run("pg_ctl", ["-D", data, "-l", path.join(dir, `${path.basename(data)}.log`), "-w", "-t", "60", "start"]);
    started.push(data);
  };
  const stopServer = (data: string, mode = "fast") => {
    try {
      run("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]);
    } catch {
      // already stopped
    }
    started.splice(started.indexOf(data), 1);
  };
  const connect = async () => {
    const client = new Client({ host: "127.0.0.1", port, user: admin.user, password: admin.password, database: "postgres" });
    await client.connect();
    return client;
  };

  try {
    write(path.join(dir, "pw"), `${admin.password}\n`);
    // --no-sync: making the new cluster durable before it starts proves nothing here (the server runs with fsync on).
    run("initdb", ["-D", pgdata, "-U", admin.user, "--pwfile", path.join(dir, "pw"), "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale", "C"]);
    const sharedir = execFileSync(path.join(pgBin, "pg_config"), ["--sharedir"]).toString().trim();
    const timescaledb = fs.existsSync(path.join(sharedir, "extension", "timescaledb.control"));
    fs.appendFileSync(
      path.join(pgdata, "postgresql.conf"),
      [
        "",
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        `hba_file = '${hbaFile}'`,
        // What the deployed server gets (the seed's wal_level, the program's max_slot_wal_keep_size).
        "wal_level = replica",
        "max_slot_wal_keep_size = 1GB",
        ...(timescaledb ? ["shared_preload_libraries = 'timescaledb'", "timescaledb.telemetry_level = off"] : []),
        "",
      ].join("\n"),
    );
    startServer(pgdata);
    log(`pitr drill: PostgreSQL from ${pgBin} on 127.0.0.1:${port}${timescaledb ? " with TimescaleDB" : " (no TimescaleDB: a plain table)"}`);

    let client = await connect();
    const salt = Buffer.from("pitr-drill-salt!").toString("base64");
    await client.query(`CREATE ROLE ${REPLICATION_ROLE} LOGIN REPLICATION PASSWORD '${scramSha256Verifier(replicationPassword, salt)}'`);
    await client.query("CREATE TABLE drill (id bigint GENERATED ALWAYS AS IDENTITY, phase text NOT NULL, committed_at timestamptz NOT NULL DEFAULT clock_timestamp())");
    let compressedCommitted: number | undefined;
    if (timescaledb) {
      await client.query("CREATE EXTENSION timescaledb");
      await client.query("SELECT create_hypertable('drill', 'committed_at', chunk_time_interval => interval '1 day')");
      await client.query("ALTER TABLE drill SET (timescaledb.compress, timescaledb.compress_segmentby = 'phase')");
      await client.query("INSERT INTO drill (phase, committed_at) SELECT 'compressed', now() - interval '10 days' + g * interval '1 minute' FROM generate_series(1, 5000) g");
      await client.query("SELECT compress_chunk(c) FROM show_chunks('drill', older_than => interval '2 days') c");
      compressedCommitted = 5000;
    }

    // The archive starts, then three verified base backups, with WAL switches between them so retention has work.
    const receiver = spawn("sh", [script, "receive"], { env, ...asPostgres, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    children.push(receiver);
    let receiverLog = "";
    receiver.stdout?.on("data", (d) => (receiverLog += d));
    receiver.stderr?.on("data", (d) => (receiverLog += d));
    for (let i = 0; !fs.existsSync(path.join(archive, "wal")) || fs.readdirSync(path.join(archive, "wal")).length === 0; i++) {
      if (i > 300) throw new Error(`pitr drill: no WAL archived after 30 s:\n${receiverLog}`);
      await sleep(100);
    }
    const segmentsAt: string[][] = [];
    for (let i = 0; i < 3; i++) {
      await client.query("INSERT INTO drill (phase) SELECT 'base' FROM generate_series(1, 100)");
      await client.query("SELECT pg_switch_wal()");
      sh(["backup"]);
      segmentsAt.push(fs.readdirSync(path.join(archive, "wal")).sort());
      await sleep(1100); // base backups are named by the second
    }
    const baseBackups = fs.readdirSync(path.join(archive, "base")).filter((n) => /^\d{8}T\d{6}Z$/.test(n)).sort();
    const label = fs.readFileSync(path.join(archive, "base", baseBackups[0], "backup_label"), "utf8");
    const oldestSegment = /START WAL LOCATION: .*\(file ([0-9A-F]{24})\)/.exec(label)?.[1] ?? "";
    const wal = fs.readdirSync(path.join(archive, "wal")).filter((n) => /^[0-9A-F]{24}(\.partial)?$/.test(n));
    const walBeforeOldestRemoved = wal.every((n) => n.slice(8, 24) >= oldestSegment.slice(8));
    const walFromOldestKept = segmentsAt[2].filter((n) => /^[0-9A-F]{24}$/.test(n) && n.slice(8) >= oldestSegment.slice(8)).every((n) => wal.includes(n));

    // Rows before T, T, rows after T: each row its own transaction, as the collector writes.
    const committedBefore = 200;
    const committedAfter = 100;
    for (let i = 0; i < committedBefore; i++) await client.query("INSERT INTO drill (phase) VALUES ('before')");
    const target = (await client.query("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS t")).rows[0].t as string;
    await sleep(20);
    for (let i = 0; i < committedAfter; i++) await client.query("INSERT INTO drill (phase) VALUES ('after')");

    // The ticker's rate until the volume is lost: the newest commit the client saw acknowledged is what was lost.
    let streamCommitted = 0;
    let lastAcked = "";
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const r = await client.query("INSERT INTO drill (phase) VALUES ('stream') RETURNING extract(epoch FROM committed_at)::text AS at");
      lastAcked = r.rows[0].at;
      streamCommitted++;
      await sleep(100);
    }
    await client.end().catch(() => undefined);
    stopServer(pgdata, "immediate");
    fs.rmSync(pgdata, { recursive: true, force: true });
    // The receiver has what it had at the loss; stop it (it would retry the server forever).
    await sleep(500);
    process.kill(-(receiver.pid as number), "SIGTERM");
    log(`pitr drill: data directory lost after ${streamCommitted} rows at the ticker rate; restoring`);

    const restoreInto = async (name: string, to: string) => {
      const data = path.join(dir, name);
      fs.mkdirSync(data, { mode: 0o700 });
      own(data);
      const base = sh(["restore", to, data]).trim().split("\n").pop();
      startServer(data);
      client = await connect();
      for (let i = 0; (await client.query("SELECT pg_is_in_recovery() AS r")).rows[0].r; i++) {
        if (i > 600) throw new Error(`pitr drill: the restore to ${to} did not finish recovery in 60 s`);
        await sleep(100);
      }
      const counts = new Map<string, number>(
        (await client.query("SELECT phase, count(*)::int AS n FROM drill GROUP BY phase")).rows.map((r) => [r.phase, r.n]),
      );
      const newest = (await client.query("SELECT extract(epoch FROM max(committed_at))::text AS at FROM drill WHERE phase = 'stream'")).rows[0].at as string | null;
      await client.end();
      stopServer(data);
      log(`pitr drill: restore to ${to} from base backup ${base}: ${[...counts].map(([p, n]) => `${p} ${n}`).join(", ")}`);
      return { counts, newest };
    };
    const toT = await restoreInto("restored-to-t", target);
    const toEnd = await restoreInto("restored-latest", "latest");

    const lostSeconds = toEnd.newest === null ? Number(lastAcked) : Math.max(0, Number(lastAcked) - Number(toEnd.newest));
    const restoredBefore = toT.counts.get("before") ?? 0;
    const restoredAfter = (toT.counts.get("after") ?? 0) + (toT.counts.get("stream") ?? 0);
    const lastLine =
      `pitr drill: restored to ${target}: ${restoredBefore} of ${committedBefore} rows committed before T, ${restoredAfter} after; ` +
      `data lost on volume loss: ${lostSeconds.toFixed(3)} s`;
    log(`pitr drill: end-of-archive restore has ${toEnd.counts.get("stream") ?? 0} of ${streamCommitted} rows committed at the ticker rate before the loss`);
    log(`pitr drill: base backups kept ${baseBackups.join(", ")}; WAL before ${oldestSegment} removed: ${walBeforeOldestRemoved}`);
    log(lastLine);
    return {
      target,
      committedBefore,
      committedAfter,
      restoredBefore,
      restoredAfter,
      compressed: compressedCommitted === undefined ? undefined : { committed: compressedCommitted, restored: toT.counts.get("compressed") ?? 0 },
      lostSeconds,
      streamCommitted,
      streamRestored: toEnd.counts.get("stream") ?? 0,
      baseBackups,
      walBeforeOldestRemoved,
      walFromOldestKept,
      timescaledb,
      lastLine,
    };
  } finally {
    for (const child of children) {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        // gone
      }
    }
    for (const data of [...started]) stopServer(data, "immediate");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runPitrDrill().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
