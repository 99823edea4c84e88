/**
 * The whole program under Pulumi mocks, once per stack file with that file's real config: asserts the inputs Pulumi
 * records for every Docker and random resource (the seed's compose file, setting by setting), secrecy, destroy-safety
 * and the one-line errors for bad config.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { runProgram, isSecret, type ProgramError, isSecretInput, plain, resolve, unwrapSecretInput, type ProgramRun, type RecordedResource } from "./support/program";
import { SEED_FLAGS } from "./support/seed";
import { pgHbaConf } from "../components/backup/pitr";

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";
const PASSWORD = "random:index/randomPassword:RandomPassword";


/** `["postgres", "-c", "a=1", "-c", "b=2"]` as { a: "1", b: "2" }, checking the shape on the way. */
function commandSettings(command: unknown): Record<string, string> {
  const argv = command as string[];
  assert.equal(argv[0], "postgres");
  const out: Record<string, string> = {};
  for (let i = 1; i < argv.length; i += 2) {
    assert.equal(argv[i], "-c", `argument ${i} is -c`);
    const [k, ...v] = argv[i + 1].split("=");
    assert.ok(!(k in out), `${k} is set once`);
    out[k] = v.join("=");
  }
  return out;
}

function env(container: RecordedResource): Record<string, string> {
  return Object.fromEntries((plain(container.inputs.envs) as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

describe("program under mocks: prod stack", function () {
  let run: ProgramRun;
  let server: RecordedResource;
  let backup: RecordedResource;
  before(async () => {
    run = await runProgram("prod");
    server = run.one(CONTAINER, "timescaledb-container");
    backup = run.one(CONTAINER, "backup-container");
  });

  it("pins the server image to a TimescaleDB release for PostgreSQL 17 and keeps it on destroy", () => {
    const image = run.one(IMAGE, "timescaledb-image");
    assert.equal(image.inputs.name, "timescale/timescaledb:2.29.2-pg17");
    assert.equal(image.inputs.keepLocally, true);
    for (const img of run.ofType(IMAGE)) assert.doesNotMatch(String(img.inputs.name), /:latest|latest-/);
    assert.equal(server.inputs.image, `sha256:${Buffer.from("timescale/timescaledb:2.29.2-pg17").toString("hex").slice(0, 64)}`, "container runs the pulled image's id");
  });

  it("creates the seed's crypto-scout bridge network and joins both containers to it", () => {
    const net = run.one(NETWORK);
    assert.equal(net.inputs.name, "crypto-scout");
    assert.equal(net.inputs.driver, "bridge");
    assert.deepEqual(plain(server.inputs.networksAdvanced), [{ name: "crypto-scout", aliases: ["timescaledb", "postgres"] }]);
    assert.deepEqual(plain(backup.inputs.networksAdvanced), [{ name: "crypto-scout" }]);
  });

  it("passes every seed tuning flag with the seed's value on the command line (monitoring adds pg_stat_statements)", () => {
    const flags = commandSettings(server.inputs.command);
    for (const flag of SEED_FLAGS) {
      const [k, v] = flag.split("=");
      // The one change from the seed's flags: monitoring preloads pg_stat_statements after timescaledb.
      assert.equal(flags[k], k === "shared_preload_libraries" ? `${v},pg_stat_statements` : v, `${k}`);
    }
    // The traps the tuning issue names: background workers fit, and autovacuum fits the memory budget.
    assert.ok(Number(flags.max_worker_processes) >= 3 + Number(flags["timescaledb.max_background_workers"]) + 2);
  });

  it("names the superuser and database, and gives the password only as a file", () => {
    const e = env(server);
    assert.equal(e.POSTGRES_USER, "crypto_scout_db");
    assert.equal(e.POSTGRES_DB, "crypto_scout");
    assert.equal(e.POSTGRES_PASSWORD_FILE, "/run/secrets/postgres-password");
    assert.ok(!("POSTGRES_PASSWORD" in e), "no password in the environment (docker inspect shows it)");
    assert.equal(e.POSTGRES_INITDB_ARGS, "--auth-local=scram-sha-256 --auth-host=scram-sha-256");
    assert.equal(e.POSTGRES_HOST_AUTH_METHOD, "scram-sha-256");
    assert.equal(e.NO_TS_TUNE, "true", "the image's init-time timescaledb-tune does not fight the command line");
    // The upload carries the password, so Pulumi sends (and stores) the whole property as a secret.
    const uploads = unwrapSecretInput(server.inputs.uploads) as Array<Record<string, unknown>>;
    assert.deepEqual(uploads[0], { file: "/run/secrets/postgres-password", content: "generated-superuser-password", permissions: "0400", owner: "70", group: "70" });
    // The verifier and the entrypoint script are checked in server-entrypoint.test.ts, the pg_hba file here.
    assert.deepEqual(uploads.slice(1).map((u) => u.file), ["/run/secrets/postgres-password-verifier", "/usr/local/bin/crypto-scout-entrypoint.sh", "/etc/crypto-scout/pg_hba.conf"]);
    assert.deepEqual(uploads[3], { file: "/etc/crypto-scout/pg_hba.conf", content: pgHbaConf("crypto_scout_replication"), permissions: "0400", owner: "70", group: "70" });
    for (const c of run.ofType(CONTAINER)) {
      for (const e of (plain(c.inputs.envs) ?? []) as string[]) assert.doesNotMatch(e, /generated-/, `${c.name} env leaks a password`);
    }
  });

  it("generates the superuser password and keeps it secret in outputs", async () => {
    assert.deepEqual(run.ofType(PASSWORD).map((p) => p.name).sort(), ["crypto-scout-monitoring-password", "crypto-scout-reader-password", "crypto-scout-writer-password", "pitr-replication-password", "superuser-password"]);
    for (const pw of run.ofType(PASSWORD)) {
      assert.equal(pw.inputs.length, 32);
      assert.equal(pw.inputs.special, false, "URL- and shell-safe");
    }
    assert.ok(await isSecret(run.exports.superuserPassword), "superuserPassword output is secret");
    assert.ok(await isSecret(run.exports.connectionUrl), "connectionUrl output is secret");
    assert.equal(run.outputs.connectionUrl, "postgresql://crypto_scout_db:generated-superuser-password@127.0.0.1:5432/crypto_scout");
  });

  it("sets shm 1 GiB, nofile 262144 soft and hard, 2 CPUs and 8 GiB without swap", () => {
    assert.equal(server.inputs.shmSize, 1024);
    assert.deepEqual(server.inputs.ulimits, [{ name: "nofile", soft: 262144, hard: 262144 }]);
    assert.equal(server.inputs.cpus, "2.0", "as the provider reads NanoCPUs back");
    assert.equal(server.inputs.memory, 8192);
    assert.equal(server.inputs.memorySwap, 8192);
  });

  it("health-checks with pg_isready over TCP, 10s/5s/5 retries/30s start; restarts unless stopped", () => {
    assert.deepEqual(server.inputs.healthcheck, {
      tests: ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "crypto_scout_db", "-d", "crypto_scout"],
      interval: "10s",
      timeout: "5s",
      retries: 5,
      startPeriod: "30s",
    });
    assert.equal(server.inputs.restart, "unless-stopped");
    assert.equal(server.inputs.wait, true);
    assert.equal(server.inputs.waitTimeout, 300);
  });

  it("stops with SIGINT and a grace period long enough for the shutdown checkpoint; rotates logs", () => {
    assert.equal(server.inputs.stopSignal, "SIGINT");
    assert.equal(server.inputs.stopTimeout, 300);
    assert.equal(server.inputs.destroyGraceSeconds, 300);
    for (const c of run.ofType(CONTAINER)) {
      assert.equal(c.inputs.logDriver, "json-file");
      assert.deepEqual(c.inputs.logOpts, { "max-size": "50m", "max-file": "5" });
    }
  });

  it("publishes 5432 on loopback only", () => {
    assert.deepEqual(server.inputs.ports, [{ internal: 5432, external: 5432, ip: "127.0.0.1", protocol: "tcp" }]);
  });

  it("keeps data and backups on destroy: retained volumes, no anonymous-volume removal", async () => {
    const data = run.one(VOLUME, "timescaledb-data");
    const backups = run.one(VOLUME, "backup-volume");
    assert.equal(data.inputs.name, "crypto-scout-data");
    assert.equal(backups.inputs.name, "crypto-scout-backups");
    assert.equal(data.options.retainOnDelete, true);
    assert.equal(backups.options.retainOnDelete, true);
    // The server sees the backups read-only, for the backup-age metric.
    assert.deepEqual(server.inputs.volumes, [
      { volumeName: "crypto-scout-data", containerPath: "/var/lib/postgresql/data" },
      { volumeName: "crypto-scout-backups", containerPath: "/backups", readOnly: true },
      { volumeName: "crypto-scout-pitr", containerPath: "/pitr", readOnly: true },
    ]);
    assert.deepEqual(backup.inputs.volumes, [{ volumeName: "crypto-scout-backups", containerPath: "/backups" }]);
    // The backup volume moved from the sidecar to the stack: the alias keeps the existing one.
    const alias = (backups.options.aliases ?? [])[0] as { parent: pulumi.Output<string> };
    assert.equal(await resolve(alias.parent), "urn:pulumi:prod::crypto-scout-db::crypto-scout:backup:BackupSidecar::backup");
    for (const c of run.ofType(CONTAINER)) {
      assert.equal(c.inputs.removeVolumes, false);
      assert.equal(c.options.deleteBeforeReplace, true, `${c.name}: fixed name, so delete before replace`);
    }
  });

  it("runs the backup sidecar pinned to PostgreSQL 17, daily, 7/4/6, whole-database custom-format dumps", () => {
    assert.equal(run.one(IMAGE, "backup-image").inputs.name, "prodrigestivill/postgres-backup-local:17");
    const e = env(backup);
    assert.equal(e.POSTGRES_HOST, "timescaledb");
    assert.equal(e.POSTGRES_DB, "crypto_scout");
    assert.equal(e.POSTGRES_USER, "crypto_scout_db");
    assert.equal(e.POSTGRES_PASSWORD_FILE, "/run/secrets/postgres-password");
    assert.ok(!("POSTGRES_PASSWORD" in e));
    assert.equal(e.SCHEDULE, "@daily");
    assert.deepEqual([e.BACKUP_KEEP_DAYS, e.BACKUP_KEEP_WEEKS, e.BACKUP_KEEP_MONTHS], ["7", "4", "6"]);
    assert.equal(e.HEALTHCHECK_PORT, "8080");
    assert.equal(e.POSTGRES_EXTRA_OPTS, "--format=custom --compress=6");
    assert.doesNotMatch(e.POSTGRES_EXTRA_OPTS, /--schema|-n /, "a schema-filtered dump loses hypertable chunks");
    assert.equal(e.BACKUP_SUFFIX, ".dump");
    assert.ok(isSecretInput(backup.inputs.uploads), "backup password upload is secret");
    assert.equal((unwrapSecretInput(backup.inputs.uploads) as Array<{ content: string }>)[0].content, "generated-superuser-password");
  });

  it("exports host, port, database, user, network, container and backup location", () => {
    assert.deepEqual(
      [run.outputs.host, run.outputs.port, run.outputs.database, run.outputs.superuser, run.outputs.networkName, run.outputs.containerName, run.outputs.backupLocation],
      ["127.0.0.1", 5432, "crypto_scout", "crypto_scout_db", "crypto-scout", "crypto-scout-timescaledb", "crypto-scout-backups"],
    );
  });

  it("registers the database stage on the configured host and port: 4 hypertables, 12 policies, secret role passwords", async () => {
    const provider = run.one("pulumi:providers:postgresql");
    assert.equal(plain(provider.inputs.host), "127.0.0.1");
    assert.equal(Number(plain(provider.inputs.port)), 5432);
    assert.equal(provider.inputs.sslmode, "disable");
    assert.ok(isSecretInput(provider.inputs.password), "provider password is secret");
    const dynamic = run.ofType("pulumi-nodejs:dynamic:Resource");
    assert.deepEqual(
      dynamic.filter((r) => r.name.includes("-hypertable-")).map((r) => r.name).sort(),
      ["bybit_lpl", "bybit_spot_tickers_btc_usdt", "bybit_spot_tickers_eth_usdt", "cmc_fgi"].map((t) => `crypto-scout-hypertable-${t}`),
    );
    assert.equal(dynamic.filter((r) => /-(compression|retention|reorder)-/.test(r.name) && !r.name.includes("_candles_")).length, 12);
    // Every dynamic resource that connects keeps its password secret; the version guard connects to nothing.
    for (const r of dynamic.filter((d) => d.name !== "server-version")) {
      assert.ok(isSecretInput(r.inputs.password), `${r.name}: password input is secret`);
    }
    assert.equal(dynamic.find((d) => d.name === "server-version")?.inputs.password, undefined);
    for (const key of ["writerPassword", "readerPassword", "writerConnectionUrl", "readerConnectionUrl"]) {
      assert.ok(await isSecret(run.exports[key]), `${key} output is secret`);
    }
    assert.deepEqual([run.outputs.writerRole, run.outputs.readerRole], ["crypto_scout_writer", "crypto_scout_reader"]);
    assert.deepEqual(run.ofType("postgresql:index/extension:Extension").map((e) => e.inputs.name), ["timescaledb", "pg_stat_statements"]);
    assert.equal(run.one("postgresql:index/schema:Schema").inputs.name, "crypto_scout");
    assert.deepEqual(run.ofType("postgresql:index/role:Role").map((r) => r.inputs.name).sort(), ["crypto_scout_monitor", "crypto_scout_reader", "crypto_scout_replication", "crypto_scout_writer"]);
    for (const r of run.ofType("postgresql:index/role:Role")) {
      // The server gets a SCRAM-SHA-256 verifier, never the generated password.
      assert.ok(isSecretInput(r.inputs.password), `${r.name}: password secret`);
      assert.match(String(unwrapSecretInput(r.inputs.password)), /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/, r.name);
      assert.doesNotMatch(JSON.stringify(plain(r.inputs)), /generated-/, `${r.name}: no password in clear`);
    }
    assert.deepEqual(run.ofType("random:index/randomBytes:RandomBytes").map((b) => [b.name, b.inputs.length]), [
      ["superuser-password-salt", 16],
      ["crypto-scout-writer-password-salt", 16],
      ["crypto-scout-reader-password-salt", 16],
      ["crypto-scout-monitoring-password-salt", 16],
      ["pitr-replication-password-salt", 16],
    ]);
    assert.equal(run.ofType("postgresql:index/grant:Grant").length, 9, "superuser x3, writer x3, reader x2, monitoring CONNECT");
    assert.equal(run.ofType("postgresql:index/defaultPrivileges:DefaultPrivileges").length, 3);
  });

  it("takes retention windows from the stack's tables config", async () => {
    const changed = await runProgram("prod", { tables: { bybit_spot_tickers_btc_usdt: { retention: "90 days" } } });
    const retention = changed.one("pulumi-nodejs:dynamic:Resource", "-retention-bybit_spot_tickers_btc_usdt");
    assert.match(JSON.stringify(plain(retention.inputs.policy)), /90 days/);
    const unchanged = changed.one("pulumi-nodejs:dynamic:Resource", "-retention-bybit_spot_tickers_eth_usdt");
    assert.match(JSON.stringify(plain(unchanged.inputs.policy)), /180 days/);
  });
});

describe("program under mocks: dev stack", function () {
  let run: ProgramRun;
  let server: RecordedResource;
  before(async () => {
    run = await runProgram("dev");
    server = run.one(CONTAINER, "timescaledb-container");
  });

  it("sizes the container for a laptop and tunes PostgreSQL to it", () => {
    assert.equal(server.inputs.memory, 2048);
    assert.equal(server.inputs.cpus, "1.0", "as the provider reads NanoCPUs back");
    assert.equal(server.inputs.shmSize, 256);
    const flags = commandSettings(server.inputs.command);
    assert.equal(flags.shared_buffers, "512MB");
    assert.equal(flags.effective_cache_size, "1536MB");
    assert.equal(flags.max_connections, "50");
    assert.ok(Number(flags.max_worker_processes) >= 3 + 16 + 1, "TimescaleDB's background workers fit with 1 CPU");
  });

  it("uses its own names and port so it can sit beside prod", () => {
    assert.equal(run.one(NETWORK).inputs.name, "crypto-scout-dev");
    assert.equal(server.inputs.name, "crypto-scout-dev-timescaledb");
    assert.deepEqual(server.inputs.ports, [{ internal: 5432, external: 15432, ip: "127.0.0.1", protocol: "tcp" }]);
  });
});

describe("program under mocks: options and bad config", function () {
  it("a host directory replaces the data volume; opting in lets destroy delete the backup volume", async () => {
    const run = await runProgram("prod", { dataHostPath: "/srv/crypto-scout/data/postgresql", destroyDeletesData: true });
    assert.equal(run.ofType(VOLUME).filter((v) => v.name.endsWith("timescaledb-data")).length, 0);
    const server = run.one(CONTAINER, "timescaledb-container");
    assert.deepEqual(server.inputs.volumes, [
      { hostPath: "/srv/crypto-scout/data/postgresql", containerPath: "/var/lib/postgresql/data" },
      { volumeName: "crypto-scout-backups", containerPath: "/backups", readOnly: true },
      { volumeName: "crypto-scout-pitr", containerPath: "/pitr", readOnly: true },
    ]);
    assert.equal(run.one(VOLUME, "backup-volume").options.retainOnDelete, false);
  });

  it("publishing on every interface must be asked for, and then connects over loopback", async () => {
    const run = await runProgram("prod", { bindAddress: "0.0.0.0" });
    assert.equal((run.one(CONTAINER, "timescaledb-container").inputs.ports as Array<{ ip: string }>)[0].ip, "0.0.0.0");
    assert.equal(run.outputs.host, "127.0.0.1");
  });

  const badConfig: Array<[string, unknown, RegExp]> = [
    ["memoryLimit", "eight", /^Invalid config 'memoryLimit': got "eight"; expected a size/],
    ["hostPort", "65536", /^Invalid config 'hostPort': got "65536"; expected a whole number from 1 to 65535, or 0 for 5432 \(derived from the stack name\)/],
    ["postgresSettings", { "bad name": "1" }, /bad name/],
    ["postgresSettings", { shared_buffers: "7GB" }, /^memory budget .* exceeds 90% of the 8 GiB container limit .*shared_buffers 7GB/],
    ["tables", { cmc_fgi: { retention: "90 dayz" } }, /^Invalid config 'tables\.cmc_fgi\.retention': got "90 dayz"/],
    ["memorylimit", "4GiB", /^Invalid config 'memorylimit': got a value that is not shown \(values of unknown keys are never shown\); expected one of this program's keys \(did you mean 'memoryLimit'\?\)\.$/],
    ["backupKeep", "3", /^Invalid config 'backupKeep': got a value that is not shown \(values of unknown keys are never shown\); expected one of this program's keys \(docs\/reference\/configuration\.md lists them\)\.$/],
  ];
  for (const [key, value, message] of badConfig) {
    it(`fails before creating anything when ${key}=${JSON.stringify(value)}`, async () => {
      await assert.rejects(runProgram("prod", { [key]: value }), (e: ProgramError) => {
        assert.match(e.message, message);
        assert.ok(!e.message.includes("\n"), "one line");
        assert.ok(pulumi.RunError.isInstance(e), "a RunError: Pulumi shows the message without a stack trace");
        assert.deepEqual(e.registered, [], "nothing is registered");
        return true;
      });
    });
  }
});

describe("program under mocks: the runner's reuse of runs (test/support/program.ts)", function () {
  this.timeout(60_000);

  it("a repeated run is the same registrations, each caller's copy its own; a removed key is a different run", async () => {
    const first = await runProgram("prod");
    const again = await runProgram("prod");
    assert.deepEqual(again.resources.map((r) => [r.type, r.name]), first.resources.map((r) => [r.type, r.name]));
    const container = (run: ProgramRun) => run.one(CONTAINER, "timescaledb-container");
    container(first).inputs.image = "changed by one test";
    assert.notEqual(container(again).inputs.image, "changed by one test", "one caller's change does not reach another");
    assert.notEqual(container(await runProgram("prod")).inputs.image, "changed by one test", "nor a later caller");
    // undefined removes a key (a default-less declared key then fails, as pulumi preview would): not the plain run.
    await assert.rejects(runProgram("prod", { pitrEnabled: undefined }), /Invalid config 'pitrEnabled'/);
  });
});
