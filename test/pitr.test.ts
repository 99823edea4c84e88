import { strict as assert } from "node:assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pgHbaConf, pgpassLine, pitrScript, recoveryTargetProblem, restoreCommand, PITR_SLOT, REPLICATION_ROLE, type PitrPlan } from "../components/backup/pitr";
import { drillMissing, runPitrDrill } from "../scripts/drill-pitr";
import { scratchDir } from "./support/pg15";

const PLAN: PitrPlan = {
  host: "timescaledb",
  port: 5432,
  user: REPLICATION_ROLE,
  passFile: "/run/secrets/pgpass",
  dir: "/pitr",
  slot: PITR_SLOT,
  keepBaseBackups: 2,
  baseBackupIntervalSeconds: 86400,
};

describe("PITR archive script (components/backup/pitr.ts)", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "pitr-unit-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const script = (plan: Partial<PitrPlan> = {}) => {
    const file = path.join(dir, "pitr.sh");
    fs.writeFileSync(file, pitrScript({ ...PLAN, dir: path.join(dir, "archive"), ...plan }));
    return file;
  };

  it("is a POSIX shell script that sh parses, with the sidecar's flags", () => {
    const file = script();
    execFileSync("sh", ["-n", file]);
    const text = fs.readFileSync(file, "utf8");
    assert.match(text, /pg_receivewal --no-password --directory="\$WAL_DIR" --slot="\$SLOT" --synchronous --no-loop/);
    assert.match(text, /pg_basebackup --no-password --pgdata="\$tmp" --wal-method=stream --checkpoint=fast/);
    assert.match(text, /pg_verifybackup "\$tmp"/);
    assert.match(text, /pg_archivecleanup "\$WAL_DIR" "\$segment"/);
    assert.match(text, /^KEEP=2$/m);
    assert.match(text, /^PGHOST='timescaledb'$/m);
  });

  it("quotes values for the shell", () => {
    const text = pitrScript({ ...PLAN, host: "it's" });
    assert.match(text, /^PGHOST='it'\\''s'$/m);
  });

  it("refuses a plan the script cannot run", () => {
    assert.throws(() => pitrScript({ ...PLAN, keepBaseBackups: 0 }), /keepBaseBackups is 0; expected a whole number from 1 to 100/);
    assert.throws(() => pitrScript({ ...PLAN, slot: "Bad-Slot" }), /slot is "Bad-Slot"/);
  });

  it("restore refuses a target that is not latest or a UTC time, and a data directory that is not empty", () => {
    const file = script();
    const target = path.join(dir, "target");
    fs.mkdirSync(target);
    const bad = spawnSync("sh", [file, "restore", "yesterday at noon", target], { encoding: "utf8" });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--to is 'yesterday at noon'; expected 'latest' or a UTC time/);
    fs.writeFileSync(path.join(target, "PG_VERSION"), "17\n");
    const busy = spawnSync("sh", [file, "restore", "latest", target], { encoding: "utf8" });
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, /is not empty/);
    const none = spawnSync("sh", [file, "restore", "2026-12-06 12:03:00", path.join(dir, "missing")], { encoding: "utf8" });
    assert.match(none.stderr, /is not a directory/);
  });

  it("restore picks the newest verified backup named before the target's second, and writes the recovery settings", () => {
    const file = script();
    const base = path.join(dir, "archive", "base");
    for (const name of ["20261206T110000Z", "20261206T120300Z", "20261206T130000Z", ".partial", ".failed"]) {
      fs.mkdirSync(path.join(base, name), { recursive: true });
      fs.writeFileSync(path.join(base, name, "marker"), name);
    }
    const restore = (to: string) => {
      const target = fs.mkdtempSync(path.join(dir, "restore-"));
      const out = execFileSync("sh", [file, "restore", to, target], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      return { used: fs.readFileSync(path.join(target, "marker"), "utf8"), out, conf: fs.readFileSync(path.join(target, "postgresql.auto.conf"), "utf8"), target };
    };
    // Named at 12:03:00 means consistent at some time before 12:03:01: not usable for 12:03:00.5.
    assert.equal(restore("2026-12-06 12:03:00.5").used, "20261206T110000Z");
    assert.equal(restore("2026-12-06T12:03:01Z").used, "20261206T120300Z");
    const latest = restore("latest");
    assert.equal(latest.used, "20261206T130000Z");
    assert.doesNotMatch(latest.conf, /recovery_target_time/);
    assert.ok(fs.existsSync(path.join(latest.target, "recovery.signal")));
    const timed = restore("2026-12-06 12:59:59.123456+00:00");
    assert.match(timed.conf, /^recovery_target_time = '2026-12-06 12:59:59.123456\+00'$/m);
    assert.match(timed.conf, /^recovery_target_action = 'promote'$/m);
    assert.ok(timed.conf.includes(`restore_command = '${restoreCommand(path.join(dir, "archive"))}'`), timed.conf);
    const early = spawnSync("sh", [file, "restore", "2026-12-06 10:00:00", fs.mkdtempSync(path.join(dir, "restore-"))], { encoding: "utf8" });
    assert.match(early.stderr, /no verified base backup .* finished before 2026-12-06 10:00:00/);
  });

  it("recoveryTargetProblem takes latest and UTC times only", () => {
    for (const ok of ["latest", "2026-12-06 12:03:00", "2026-12-06T12:03:00.123Z", "2026-12-06 12:03:00+00:00", "2026-12-06 12:03:00 UTC"]) {
      assert.equal(recoveryTargetProblem(ok), undefined, ok);
    }
    for (const bad of ["now", "2026-12-06", "2026-12-06 12:03:00+02:00", "2026-12-06 12:03"]) assert.ok(recoveryTargetProblem(bad), bad);
  });

  it("pg_hba.conf keeps the image's rules and adds the replication role's, which `all` does not cover", () => {
    const lines = pgHbaConf(REPLICATION_ROLE).split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/).join(" "));
    assert.deepEqual(lines, [
      "local all all scram-sha-256",
      "host all all 127.0.0.1/32 scram-sha-256",
      "host all all ::1/128 scram-sha-256",
      "local replication all scram-sha-256",
      "host replication all 127.0.0.1/32 scram-sha-256",
      "host replication all ::1/128 scram-sha-256",
      "host all all all scram-sha-256",
      `host replication ${REPLICATION_ROLE} all scram-sha-256`,
    ]);
  });

  it("pgpass escapes ':' and '\\'", () => {
    assert.equal(pgpassLine("timescaledb", 5432, "r", "a:b\\c"), "timescaledb:5432:*:r:a\\:b\\\\c\n");
  });
});

describe("PITR drill (npm run drill:pitr) on a real PostgreSQL", function () {
  this.timeout(300_000);

  it("restores exactly to T, and to the end of the archive after the data directory is lost", async function () {
    const missing = drillMissing();
    if (missing) {
      console.log(`      SKIPPED: the PITR drill needs a PostgreSQL server here: ${missing}`);
      this.skip();
    }
    const lines: string[] = [];
    const result = await runPitrDrill({ log: (l) => lines.push(l), workDir: scratchDir() });
    assert.equal(lines[lines.length - 1], result.lastLine);
    assert.match(result.lastLine, /^pitr drill: restored to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}: 200 of 200 rows committed before T, 0 after; data lost on volume loss: \d+\.\d{3} s$/);
    assert.equal(result.restoredBefore, result.committedBefore);
    assert.equal(result.restoredAfter, 0);
    // The RPO: at most 60 s with the default settings; streaming should do far better.
    assert.ok(result.lostSeconds < 60, `lost ${result.lostSeconds} s`);
    assert.ok(result.streamRestored > 0 && result.streamRestored <= result.streamCommitted);
    // Retention: three backups with keep 2 leave two; the WAL before the oldest kept one is gone, its own is there.
    assert.equal(result.baseBackups.length, 2);
    assert.ok(result.walBeforeOldestRemoved, "WAL before the oldest kept base backup was not removed");
    assert.ok(result.walFromOldestKept, "WAL from the oldest kept base backup on was removed");
    if (result.compressed) assert.equal(result.compressed.restored, result.compressed.committed);
  });
});

describe("PITR pg_hba rule on a real PostgreSQL 15", function () {
  this.timeout(60_000);
  // A replication connection matches only a `replication` line: the image's `host all all all` does not let the
  // sidecar in, the program's line does. Loopback-only here, so each case has the one host line under test.
  const tryReplication = async (hbaHostLines: string[]): Promise<string> => {
    const { startPg15, pg15Missing } = await import("./support/pg15");
    if (pg15Missing()) return "skip";
    const password = "replPassword42";
    const pg = await startPg15({
      user: "admin",
      password: "adminPassword42",
      conf: ["wal_level = replica"],
      prepare: (p, pgdata) => {
        const hba = path.join(pgdata, "pg_hba.conf");
        fs.writeFileSync(hba, ["local all all scram-sha-256", ...hbaHostLines, ""].join("\n"));
        p.own(hba);
      },
    });
    try {
      const { Client } = await import("pg");
      const admin = new Client({ host: "127.0.0.1", port: pg.port, user: "admin", password: "adminPassword42", database: "postgres" });
      await admin.connect();
      await admin.query(`CREATE ROLE ${REPLICATION_ROLE} LOGIN REPLICATION PASSWORD '${password}'`);
      await admin.end();
      const r = spawnSync(path.join("/usr/lib/postgresql/15/bin", "pg_receivewal"), ["--create-slot", "--slot=t", "-h", "127.0.0.1", "-p", String(pg.port), "-U", REPLICATION_ROLE, "--no-password"], {
        encoding: "utf8",
        env: { ...process.env, PGPASSWORD: password },
      });
      return r.status === 0 ? "ok" : r.stderr;
    } finally {
      pg.stop();
    }
  };

  it("`host all all all` does not match a replication connection; the program's replication line does", async function () {
    const imageOnly = await tryReplication(["host all all all scram-sha-256"]);
    if (imageOnly === "skip") this.skip();
    assert.match(imageOnly, /no pg_hba\.conf entry for replication connection/);
    const program = pgHbaConf(REPLICATION_ROLE).split("\n").filter((l) => /^host\s+(all\s+all\s+all|replication\s+crypto_scout_replication)\s/.test(l));
    assert.equal(program.length, 2);
    assert.equal(await tryReplication(program), "ok");
  });
});

describe("PITR metrics on a real PostgreSQL 15, as a pg_monitor role", function () {
  this.timeout(90_000);

  it("reads the slot and the receiver", async function () {
    const { startPg15, pg15Missing, PG15_BIN } = await import("./support/pg15");
    if (pg15Missing()) {
      console.log(`      SKIPPED: ${pg15Missing()}`);
      this.skip();
    }
    const { pitrMetrics } = await import("../components/backup/pitr");
    const { Client } = await import("pg");
    const pg = await startPg15({
      user: "admin",
      password: "adminPassword42",
      conf: ["wal_level = replica", "max_slot_wal_keep_size = 1GB"],
      prepare: (p, pgdata) => {
        fs.writeFileSync(path.join(pgdata, "pg_hba.conf"), pgHbaConf(REPLICATION_ROLE));
        p.own(path.join(pgdata, "pg_hba.conf"));
      },
    });
    const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), "pitr-metrics-"));
    try {
      const admin = new Client({ host: "127.0.0.1", port: pg.port, user: "admin", password: "adminPassword42", database: "postgres" });
      await admin.connect();
      await admin.query(`CREATE ROLE ${REPLICATION_ROLE} LOGIN REPLICATION PASSWORD 'replPassword42'`);
      await admin.query("CREATE ROLE monitor LOGIN PASSWORD 'monitorPassword42' IN ROLE pg_monitor");
      await admin.end();
      const monitor = new Client({ host: "127.0.0.1", port: pg.port, user: "monitor", password: "monitorPassword42", database: "postgres" });
      await monitor.connect();
      const values = async () => {
        const out: Record<string, number | null> = {};
        for (const m of pitrMetrics(PITR_SLOT) as Array<{ metric_name: string; values: string[]; query: string }>) {
          const rows = (await monitor.query(m.query)).rows;
          assert.equal(rows.length, 1, m.metric_name);
          out[m.metric_name] = rows[0][m.values[0]];
        }
        return out;
      };
      const before = await values();
      assert.equal(before.crypto_scout_pitr_slot_present, 0);
      assert.equal(before.crypto_scout_pitr_slot_active, null);

      const env = { ...process.env, PGPASSWORD: "replPassword42", PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: REPLICATION_ROLE };
      execFileSync(path.join(PG15_BIN, "pg_receivewal"), ["--create-slot", `--slot=${PITR_SLOT}`, "--no-password"], { env });
      execFileSync(path.join(PG15_BIN, "pg_basebackup"), ["--pgdata", path.join(backupDir, "b"), "--wal-method=stream", "--checkpoint=fast", "--no-password"], { env });
      const after = await values();
      assert.equal(after.crypto_scout_pitr_slot_present, 1);
      assert.equal(after.crypto_scout_pitr_slot_active, 0, "no receiver streams");
      assert.equal(after.crypto_scout_pitr_slot_invalidated, 0);
      assert.equal(after.crypto_scout_pitr_receiver_reply_age_seconds, null, "absent without a receiver");
      // The slot has no position until a receiver starts from it; then the lag is a byte count.
      const receiver = spawn(path.join(PG15_BIN, "pg_receivewal"), ["--directory", backupDir, `--slot=${PITR_SLOT}`, "--synchronous", "--no-password"], { env, stdio: "ignore" });
      try {
        let streaming: Record<string, number | null> = {};
        for (let i = 0; i < 100; i++) {
          streaming = await values();
          if (streaming.crypto_scout_pitr_receiver_reply_age_seconds !== null) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(streaming.crypto_scout_pitr_slot_active, 1);
        assert.ok((streaming.crypto_scout_pitr_receiver_reply_age_seconds as number) < 30);
        assert.ok(typeof streaming.crypto_scout_pitr_archive_lag_bytes === "number" && streaming.crypto_scout_pitr_archive_lag_bytes >= 0);
      } finally {
        receiver.kill("SIGKILL");
      }
      await monitor.end();
    } finally {
      pg.stop();
      fs.rmSync(backupDir, { recursive: true, force: true });
    }
  });
});
