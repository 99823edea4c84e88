/**
 * End-to-end on a real engine: the program deployed, used, changed, backed up, restored, destroyed and brought back on
 * its retained data volume, through Pulumi's Automation API the way a user drives the CLI. Started by `npm run test:e2e`
 * (run.ts), which skips with one line when the `pulumi` CLI or a container engine is missing. The steps share one
 * throwaway stack and run in order; the after hook always cleans up (destroy, leftover containers, network and volumes,
 * the stack, the temporary directories).
 *
 * Isolation:
 * - State lives in a temporary file backend: PULUMI_BACKEND_URL wins over Pulumi.yaml's `backend.url: file://~`
 *   (pulumi/pulumi pkg/workspace/creds.go GetCurrentCloudURL, which every stack command reaches through
 *   pkg/cmd/pulumi/backend/backend.go CurrentBackend: the environment variable first, then the project's backend,
 *   then stored credentials; so at v3.248.0 and still on master). Secrets use a random passphrase.
 * - The program runs from a temporary copy of the project (node_modules symlinked), so the stack's
 *   Pulumi.<stack>.yaml is written there and can never be left in, or committed to, the repository.
 * - Docker names are unique (namePrefix cs-e2e-<random>) and the port is a free one, so the test can run beside
 *   a dev or prod stack.
 *
 * E2E_ENGINE=podman: config `crypto-scout-db:containerEngine` is `podman`, `docker:host` is DOCKER_HOST or the rootless
 * socket, engine commands use the podman CLI (the restore script through DOCKER=podman). Podman runs health checks
 * with systemd timers: with systemd (cgroup manager systemd) step 2 waits for the health status healthy as on Docker;
 * without it the stack sets waitForHealthy false and step 2 accepts running + pg_isready in the container.
 *
 * Bounded: every engine command, CLI call and Pulumi operation has a timeout (LIMIT) and fails naming its step.
 * Convergence: both stacks (the container stack, step 6, and the external-mode stack, step 8b) must show no changes
 * in `pulumi preview --refresh --expect-no-changes`.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type ConfigMap, type OpMap, type OutputMap, type Stack } from "@pulumi/pulumi/automation";
import { Client, escapeIdentifier, type ClientConfig } from "pg";
import { PROJECT } from "../../components/config/stack-files";
import { dockerNames } from "../../components/docker-common";
import { BACKUP_DIR, DUMP_SUFFIX } from "../../components/backup/backup-sidecar";
import {
  applyTableOverrides,
  canonicalType,
  CRYPTO_SCOUT_TABLES,
  DEFAULT_SCHEMA,
  isSerial,
  parseInterval,
  type ColumnSpec,
  type TableSpec,
} from "../../components/database/model";
import { parseDatabaseUrl } from "../../components/database/providers/connection";
import { storageTableName } from "../../components/database/scaled";
import { dockerHost, engineFacts, engineFromEnv, exec, withDeadline, type Bound, type EngineName, type ExecError } from "./engine";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const RESTORE_SCRIPT = path.join(REPO_ROOT, "scripts", "restore-backup.sh");
const ENGINE: EngineName = engineFromEnv();
/** The stack's readyTimeout, also how long step 2 waits for the server. */
const READY_TIMEOUT = { config: "3min", ms: 3 * 60_000 };
/** restore-backup.sh's default side database, passed explicitly. */
const SIDE_DB = "crypto_scout_restore";
/** One ticker table in scaled storage (docs/storage.md), so the real providers run both storages. */
const STORAGE = { bybit_spot_tickers_btc_usdt: { storage: "scaled" } } as const;
/** The model the program deploys; every table in it gets a row, a policy check and a row-count comparison. */
const TABLES: readonly TableSpec[] = applyTableOverrides("tables", STORAGE, CRYPTO_SCOUT_TABLES);
/** The hypertable behind a table: itself, or a scaled table's physical `<table>_scaled`. */
const hypertableName = (t: TableSpec): string => (t.storage === "scaled" ? storageTableName(t.name) : t.name);
const SCHEMA = DEFAULT_SCHEMA;
/** TimescaleDB job procedures per policy kind, with the config key that holds the model's setting. */
const POLICY_JOBS = [
  { proc: "policy_compression", key: "compress_after", expected: (t: TableSpec) => t.compressAfter, interval: true },
  { proc: "policy_retention", key: "drop_after", expected: (t: TableSpec) => t.retention, interval: true },
  { proc: "policy_reorder", key: "index_name", expected: (t: TableSpec) => t.reorderIndex, interval: false },
] as const;
/** Outputs a user reads after `pulumi up`, and which of them must be secret. */
const OUTPUTS = [
  "host", "port", "database", "superuser", "superuserPassword", "connectionUrl", "containerName", "backupContainerName",
  "backupLocation", "writerRole", "writerPassword", "readerRole", "readerPassword", "writerConnectionUrl", "readerConnectionUrl",
] as const;
const SECRET_OUTPUTS = ["superuserPassword", "connectionUrl", "writerPassword", "readerPassword", "writerConnectionUrl", "readerConnectionUrl"] as const;
/**
 * How long each kind of external call may take; a call that takes longer fails its step with the step's name (see
 * engine.ts exec and withDeadline), so a hung engine or CLI shows where it hung instead of running into the job's limit.
 * `up` may pull the three images first.
 */
const LIMIT = {
  up: 20 * 60_000,
  preview: 10 * 60_000,
  destroy: 10 * 60_000,
  /** pulumi config / stack select / stack rm. */
  workspace: 2 * 60_000,
  /** inspect, exec of a short command, rm. */
  engine: 60_000,
  backup: 10 * 60_000,
  copy: 5 * 60_000,
  restore: 15 * 60_000,
  /** One HTTP request to an exporter. */
  http: 30_000,
  /** Client side, per SQL statement. */
  query: 5 * 60_000,
} as const;
const bound = (step: string, timeoutMs: number): Bound => ({ step, timeoutMs });

/** The shared throwaway stack and everything cleanup must remove. */
interface E2ERun {
  /** Stack name and namePrefix: cs-e2e-<random>. */
  readonly id: string;
  readonly backendDir: string;
  readonly projectDir: string;
  readonly scratchDir: string;
  /** Podman without systemd reports no health status: the stack then does not wait for it. */
  readonly expectHealthStatus: boolean;
  stack?: Stack;
  outputs?: OutputMap;
  destroyed: boolean;
  /** Step 3: the primary key of the row inserted into each table. */
  readonly inserted: Map<string, unknown[]>;
  /** Step 5: job ids by `<table>/<proc>`. */
  jobIds?: Map<string, number>;
  /** Step 8b's external-mode stack, while it exists. */
  externalStack?: string;
}

let run: E2ERun | undefined;
let cleanup: Promise<void> | undefined;

const toStdout = (text: string): void => {
  process.stdout.write(text);
};
const toStderr = (text: string): void => {
  process.stderr.write(text);
};
const log = (message: string): void => console.log(`      e2e: ${message}`);

describe(`crypto-scout-db end to end on ${ENGINE}`, function () {
  before(async function () {
    this.timeout(10 * 60_000);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const id = `cs-e2e-${crypto.randomBytes(4).toString("hex")}`;
    const tmp = (what: string) => fs.mkdtempSync(path.join(os.tmpdir(), `${id}-${what}-`));
    // run.ts has printed these and checked them against what the test was written for (engine.ts WRITTEN_FOR).
    const systemd = ENGINE === "podman" ? (await engineFacts("podman")).cgroupManager === "systemd" : true;
    run = {
      id,
      backendDir: tmp("state"),
      projectDir: tmp("project"),
      scratchDir: tmp("scratch"),
      expectHealthStatus: systemd,
      destroyed: false,
      inserted: new Map(),
    };
    copyProgram(run.projectDir);

    const { projectDir: workDir, backendDir } = run;
    run.stack = await withDeadline(bound("setup: pulumi stack init", LIMIT.workspace), () =>
      LocalWorkspace.createOrSelectStack(
        { stackName: id, workDir },
        {
          envVars: {
            PULUMI_BACKEND_URL: `file://${backendDir}`,
            PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(24).toString("hex"),
            PULUMI_SKIP_UPDATE_CHECK: "true",
          },
        },
      ),
    );
    const stack = run.stack;

    const hostPort = await freePort();
    const [postgresExporterPort, sqlExporterPort] = [await freePort(), await freePort()];
    const config: ConfigMap = {
      [`${PROJECT}:namePrefix`]: { value: id },
      [`${PROJECT}:bindAddress`]: { value: "127.0.0.1" },
      [`${PROJECT}:hostPort`]: { value: String(hostPort) },
      [`${PROJECT}:memoryLimit`]: { value: "1GiB" },
      [`${PROJECT}:cpus`]: { value: "1" },
      [`${PROJECT}:maxConnections`]: { value: "30" },
      [`${PROJECT}:shmSize`]: { value: "128MiB" },
      [`${PROJECT}:nofileLimit`]: { value: "4096" },
      [`${PROJECT}:stopGracePeriod`]: { value: "30s" },
      [`${PROJECT}:readyTimeout`]: { value: READY_TIMEOUT.config },
      [`${PROJECT}:containerEngine`]: { value: ENGINE },
      [`${PROJECT}:postgresExporterPort`]: { value: String(postgresExporterPort) },
      [`${PROJECT}:sqlExporterPort`]: { value: String(sqlExporterPort) },
    };
    // waitForHealthy keeps the program's default; only where no health status can ever come is it set off explicitly.
    if (!run.expectHealthStatus) config[`${PROJECT}:waitForHealthy`] = { value: "false" };
    const host = dockerHost(ENGINE);
    if (ENGINE === "podman" && host) config["docker:host"] = { value: host };
    await withDeadline(bound("setup: pulumi config set", LIMIT.workspace), () => stack.setAllConfig(config));
    // As a user would: pulumi config set --path 'tables.<table>.storage' scaled.
    for (const [table, { storage }] of Object.entries(STORAGE)) {
      await withDeadline(bound(`setup: pulumi config set --path tables.${table}.storage`, LIMIT.workspace), () =>
        stack.setConfig(`${PROJECT}:tables.${table}.storage`, { value: storage }, true),
      );
    }
    log(`stack ${id} in ${run.projectDir}, state in ${run.backendDir}, port ${hostPort}` +
      (ENGINE === "podman" ? `, docker:host ${host}, systemd ${systemd ? "yes" : "no (no health status)"}` : ""));
  });

  after(async function () {
    // destroy's own bound plus its cancel grace, and the engine calls after it.
    this.timeout(20 * 60_000);
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    await cleanUp();
  });

  it("1. pulumi up deploys the stack and exports every documented output", async function () {
    const stack = theStack();
    const result = await withDeadline(bound("step 1: pulumi up", LIMIT.up), (signal) => stack.up({ onOutput: toStdout, onError: toStderr, signal }));
    assert.equal(result.summary.result, "succeeded");
    e2e().outputs = result.outputs;
    for (const name of OUTPUTS) assert.ok(result.outputs[name] !== undefined, `stack output ${name} is missing`);
    for (const name of SECRET_OUTPUTS) assert.equal(result.outputs[name].secret, true, `stack output ${name} must be secret`);
    const names = dockerNames(e2e().id);
    assert.equal(output("containerName"), names.serverContainer);
    assert.equal(output("backupContainerName"), names.backupContainer);
    log(`up: ${JSON.stringify(result.summary.resourceChanges)}`);
  });

  it("2. the server is healthy and accepts connections in its container", async function () {
    const server = output("containerName");
    const deadline = Date.now() + READY_TIMEOUT.ms;
    for (;;) {
      const state = await containerState(server);
      const health = state.Health?.Status ?? state.Healthcheck?.Status ?? "";
      if (health === "healthy") {
        log(`${server}: health status healthy`);
        break;
      }
      if (!e2e().expectHealthStatus && state.Running === true && (await pgIsReady(server))) {
        log(`${server}: running and pg_isready (Podman without systemd reports no health status${health ? `; it says ${health}` : ""})`);
        break;
      }
      if (Date.now() > deadline) assert.fail(`${server} not healthy after ${READY_TIMEOUT.config}: ${JSON.stringify(state)}`);
      await sleep(2000);
    }
    assert.ok(await pgIsReady(server), `pg_isready in ${server}`);
    const backup = await containerState(output("backupContainerName"));
    assert.equal(backup.Running, true, `${output("backupContainerName")} is running`);
  });

  it("3. the writer role inserts one collector-shaped row into every table of the model", async function () {
    const at = new Date(Date.now() - 60 * 60_000);
    await withClient({ connectionString: output("writerConnectionUrl") }, async (writer) => {
      const who = await writer.query("SELECT current_user AS u");
      assert.equal(who.rows[0].u, output("writerRole"));
      for (const table of TABLES) {
        const row = collectorRow(table, at);
        const res = await writer.query(`${insertSql(table, row.columns)} RETURNING ${table.primaryKey.map(escapeIdentifier).join(", ")}`, row.values);
        assert.equal(res.rowCount, 1, `one row into ${table.name}`);
        e2e().inserted.set(table.name, table.primaryKey.map((k) => res.rows[0][k]));
      }
    });
    log(`inserted one row into each of ${TABLES.map((t) => t.name).join(", ")}`);
  });

  it("4. the reader role reads every row back and is refused an INSERT (SQLSTATE 42501)", async function () {
    await withClient({ connectionString: output("readerConnectionUrl") }, async (reader) => {
      const who = await reader.query("SELECT current_user AS u");
      assert.equal(who.rows[0].u, output("readerRole"));
      for (const table of TABLES) {
        const key = e2e().inserted.get(table.name);
        assert.ok(key, `step 3 inserted into ${table.name}`);
        const keyColumns = table.primaryKey.map(escapeIdentifier).join(", ");
        const placeholders = table.primaryKey.map((_, i) => `$${i + 1}`).join(", ");
        const res = await reader.query(`SELECT * FROM ${qualified(table.name)} WHERE (${keyColumns}) = (${placeholders})`, key);
        assert.equal(res.rowCount, 1, `the reader reads the row back from ${table.name}`);

        const row = collectorRow(table, new Date());
        await assert.rejects(
          reader.query(insertSql(table, row.columns), row.values),
          (e: unknown) => {
            assert.equal((e as { code?: string }).code, "42501", `INSERT into ${table.name} as the reader: ${(e as Error).message}`);
            return true;
          },
          `the reader must not INSERT into ${table.name}`,
        );
      }
    });
  });

  it(`5. the ${TABLES.length * POLICY_JOBS.length} policies exist as TimescaleDB jobs with the model's settings`, async function () {
    e2e().jobIds = await assertPolicyJobs(TABLES);
    log(`${e2e().jobIds?.size} policy jobs match the model`);
  });

  it("5b. the exporters serve the server's and TimescaleDB's metrics", async function () {
    const endpoints = e2e().outputs?.metricsEndpoints?.value as { postgresExporter: string; sqlExporter: string } | undefined;
    assert.ok(endpoints, "stack output metricsEndpoints");
    const deadline = Date.now() + 2 * 60_000;
    for (;;) {
      try {
        const pg = await scrape(endpoints.postgresExporter);
        const sql = await scrape(endpoints.sqlExporter);
        assert.match(pg, /^pg_up 1$/m, "postgres_exporter reaches the server as the monitoring role");
        assert.match(pg, /^pg_stat_statements_calls_total\{/m, "pg_stat_statements is preloaded and created");
        for (const table of TABLES) assert.match(sql, new RegExp(`^timescaledb_hypertable_size_bytes\\{[^}]*hypertable="${hypertableName(table)}"`, "m"), table.name);
        assert.match(sql, /^crypto_scout_database_size_budget_bytes /m);
        log(`metrics: ${endpoints.postgresExporter}, ${endpoints.sqlExporter}`);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await sleep(3000);
      }
    }
  });

  it("6. a refreshed second preview changes nothing (preview --refresh --expect-no-changes)", async function () {
    // --refresh first reads every resource back from the engine and the server, then diffs the program against that:
    // what the engine or a provider reports differently from what `up` recorded shows here as a change. Refresh
    // steps themselves are not counted as changes (pulumi/pulumi v3.248.0 pkg/engine/update.go: a RefreshStep is not
    // Logical, so it is not recorded in the change summary; HasChanges counts everything but same and reads), and
    // --expect-no-changes fails the CLI on any other (pkg/cmd/pulumi/operations/preview.go, expectNop).
    await assertConverged(theStack(), "step 6");
  });

  it("7. a new retention for one table is exactly one in-place update", async function () {
    const table = TABLES[0];
    const retention = parseInterval(table.retention)?.text === "400 days" ? "401 days" : "400 days";
    const overrides = { ...STORAGE, [table.name]: { retention } };
    // As the README's runbook does it: pulumi config set --path 'tables.<table>.retention' '<interval>'.
    await withDeadline(bound(`step 7: pulumi config set --path tables.${table.name}.retention`, LIMIT.workspace), () =>
      theStack().setConfig(`${PROJECT}:tables.${table.name}.retention`, { value: retention }, true),
    );
    const stored = await withDeadline(bound("step 7: pulumi config get tables", LIMIT.workspace), () => theStack().getConfig(`${PROJECT}:tables`));
    assert.deepEqual(JSON.parse(stored.value), overrides, "the tables config key holds the JSON object the program parses");

    const preview = await withDeadline(bound("step 7: pulumi preview --diff", LIMIT.preview), (signal) =>
      theStack().preview({ diff: true, onOutput: toStdout, onError: toStderr, signal }),
    );
    assert.deepEqual(changes(preview.changeSummary), { update: 1 }, `preview: ${JSON.stringify(preview.changeSummary)}`);
    const up = await withDeadline(bound("step 7: pulumi up", LIMIT.up), (signal) => theStack().up({ onOutput: toStdout, onError: toStderr, signal }));
    assert.equal(up.summary.result, "succeeded");
    assert.deepEqual(changes(up.summary.resourceChanges ?? {}), { update: 1 }, `up: ${JSON.stringify(up.summary.resourceChanges)}`);

    // The same job, altered in place; every other job as before.
    const jobIds = await assertPolicyJobs(applyTableOverrides("tables", overrides, CRYPTO_SCOUT_TABLES));
    assert.deepEqual(jobIds, e2e().jobIds, "job ids are unchanged");
    log(`${table.name} retention is now ${retention} (job ${jobIds.get(`${table.name}/policy_retention`)})`);
  });

  it("8. the backup sidecar's on-demand backup restores into the side database with equal row counts", async function () {
    const backup = output("backupContainerName");
    const server = output("containerName");
    const backupRun = await exec(ENGINE, ["exec", backup, "/backup.sh"], bound("step 8: on-demand backup (/backup.sh)", LIMIT.backup)).catch(showOutput);
    toStdout(backupRun.stdout);

    // The image's `last/<db>-latest<suffix>` is a symlink; copy the file it points to.
    const latest = `${BACKUP_DIR}/last/${output("database")}-latest${DUMP_SUFFIX}`;
    const dumpInContainer = (await exec(ENGINE, ["exec", backup, "readlink", "-f", latest], bound("step 8: find the latest dump", LIMIT.engine))).stdout.trim();
    assert.ok(dumpInContainer.endsWith(DUMP_SUFFIX), `the latest dump: ${dumpInContainer}`);
    // The backup-age metric sees the new dump (the server reads the backup volume read-only).
    const sqlMetrics = await scrape((e2e().outputs?.metricsEndpoints?.value as { sqlExporter: string }).sqlExporter);
    const age = /^crypto_scout_backup_age_seconds (\S+)$/m.exec(sqlMetrics);
    assert.ok(age && Number(age[1]) >= 0 && Number(age[1]) < 900, `crypto_scout_backup_age_seconds after the backup: ${age?.[1]}`);
    const dumpFile = path.join(e2e().scratchDir, path.posix.basename(dumpInContainer));
    await exec(ENGINE, ["cp", `${backup}:${dumpInContainer}`, dumpFile], bound("step 8: copy the dump out of the backup container", LIMIT.copy));
    assert.ok(fs.statSync(dumpFile).size > 0, `${dumpFile} is not empty`);

    const restore = await exec("bash", [RESTORE_SCRIPT, "--container", server, "--target-db", SIDE_DB, dumpFile], {
      env: { ...process.env, DOCKER: ENGINE },
      ...bound("step 8: restore-backup.sh into the side database", LIMIT.restore),
    }).catch(showOutput);
    toStdout(restore.stderr);
    toStdout(restore.stdout);

    const live = parseDatabaseUrl(output("connectionUrl"), "connectionUrl");
    const liveCounts = await rowCounts({ ...live });
    const sideCounts = await rowCounts({ ...live, database: SIDE_DB });
    for (const table of TABLES) {
      assert.ok(Number(liveCounts.get(table.name)) >= 1, `${table.name} has the row from step 3`);
    }
    assert.deepEqual(sideCounts, liveCounts, "row counts in the restored copy equal the live database's");
    const hypertables = await withClient({ ...live, database: SIDE_DB }, (c) =>
      c.query("SELECT hypertable_name FROM timescaledb_information.hypertables WHERE hypertable_schema = $1", [SCHEMA]),
    );
    assert.deepEqual(hypertables.rows.map((r) => String(r.hypertable_name)).sort(), TABLES.map(hypertableName).sort(), "the copy's hypertables");
    log(`restored ${path.basename(dumpFile)} into ${SIDE_DB}: ${JSON.stringify(Object.fromEntries(sideCounts))}`);

    // README: drop the side database afterwards. It must go before destroy: the copy carries the writer's and reader's
    // grants, and PostgreSQL refuses DROP ROLE while a role holds privileges in any database of the cluster.
    await dropSideDatabase();
  });

  it("8b. external mode: a second stack manages a database of this server by URL, as an owner that is not a superuser", async function () {
    // The server stands in for Tiger Cloud: a database owned by a CREATEROLE role, not a superuser, with timescaledb
    // created by the superuser. The writer and reader exist (the first stack made them, cluster-wide): the external
    // stack adopts them, which needs ADMIN OPTION on them, as the README says.
    const live = parseDatabaseUrl(output("connectionUrl"), "connectionUrl");
    const owner = "cs_e2e_owner";
    const ownerPassword = crypto.randomBytes(12).toString("hex");
    const db = "cs_e2e_external";
    await withClient({ ...live }, async (c) => {
      await c.query(`CREATE ROLE ${owner} LOGIN CREATEROLE PASSWORD '${ownerPassword}'`);
      await c.query(`CREATE DATABASE ${db} OWNER ${owner}`);
      for (const role of [output("writerRole"), output("readerRole")]) await c.query(`GRANT ${escapeIdentifier(role)} TO ${owner} WITH ADMIN OPTION`);
    });
    try {
      await externalStackSteps(live, owner, ownerPassword, db);
    } finally {
      // The roles belong to the first stack too; its destroy (step 9) drops them, which needs their grants in this
      // database gone: drop the database and forget the external stack rather than destroy it.
      await withClient({ ...live }, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${owner}`);
      });
    }
  });

  /** Step 8b's stack: up, a second preview with no changes, the writer's insert, the objects in the database. */
  async function externalStackSteps(live: ReturnType<typeof parseDatabaseUrl>, owner: string, ownerPassword: string, db: string): Promise<void> {
    await withClient({ ...live, database: db }, (c) => c.query("CREATE EXTENSION IF NOT EXISTS timescaledb"));
    const externalName = `${e2e().id}-ext`;
    e2e().externalStack = externalName;
    const external = await withDeadline(bound("step 8b: pulumi stack init (external)", LIMIT.workspace), () =>
      LocalWorkspace.createOrSelectStack({ stackName: externalName, workDir: e2e().projectDir }, { envVars: theStack().workspace.envVars }),
    );
    await withDeadline(bound("step 8b: pulumi config set (external)", LIMIT.workspace), () =>
      external.setAllConfig({
        [`${PROJECT}:databaseUrl`]: { value: `postgresql://${owner}:${ownerPassword}@127.0.0.1:${live.port}/${db}`, secret: true },
        [`${PROJECT}:sslMode`]: { value: "disable" }, // the local container serves no TLS
        [`${PROJECT}:backupEnabled`]: { value: "false" },
        [`${PROJECT}:monitoringEnabled`]: { value: "false" },
      }),
    );
    const up = await withDeadline(bound("step 8b: pulumi up (external)", LIMIT.up), (signal) => external.up({ onOutput: toStdout, onError: toStderr, signal }));
    assert.equal(up.summary.result, "succeeded");
    assert.deepEqual(
      Object.keys(up.outputs).filter((k) => /container|network|backup|metrics/i.test(k) && up.outputs[k].value !== undefined),
      [],
      "no Docker outputs",
    );
    await assertConverged(external, "step 8b (external)");
    await withClient({ connectionString: String(up.outputs.writerConnectionUrl.value) }, async (writer) => {
      const table = TABLES[0];
      const row = collectorRow(table, new Date());
      assert.equal((await writer.query(insertSql(table, row.columns), row.values)).rowCount, 1);
    });
    const counts = await withClient({ ...live, database: db }, (c) =>
      c.query("SELECT (SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = $1)::int AS h, (SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_schema = $1)::int AS j, (SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = $1) AS o", [SCHEMA]),
    );
    assert.deepEqual(counts.rows[0], { h: TABLES.length, j: TABLES.length * POLICY_JOBS.length, o: owner });
    log(`external stack ${externalName}: ${JSON.stringify(up.summary.resourceChanges)}, refreshed second preview no changes`);
    await withDeadline(bound(`step 8b: pulumi stack rm ${externalName}`, LIMIT.workspace), () => external.workspace.removeStack(externalName, { force: true }));
    e2e().externalStack = undefined;
  }

  it("9. destroy removes the containers and leaves the data volume (retainOnDelete)", async function () {
    const result = await withDeadline(bound("step 9: pulumi destroy", LIMIT.destroy), (signal) =>
      theStack().destroy({ onOutput: toStdout, onError: toStderr, signal }),
    );
    assert.equal(result.summary.result, "succeeded");
    e2e().destroyed = true;
    const names = dockerNames(e2e().id);
    for (const container of [names.serverContainer, names.backupContainer]) {
      assert.equal(await exists(["container", "inspect", container]), false, `container ${container} is gone`);
    }
    assert.equal(await exists(["volume", "inspect", names.dataVolume]), true, `data volume ${names.dataVolume} is retained`);
    assert.equal(await exists(["volume", "inspect", output("backupLocation")]), true, `backup volume ${output("backupLocation")} is retained`);
  });

  it("10. up again on the retained data volume: a new superuser password, set before the server starts; step 3's rows are there", async function () {
    const oldPassword = output("superuserPassword");
    e2e().destroyed = false; // from here on the after hook must destroy again
    const result = await withDeadline(bound("step 10: pulumi up on the retained volume", LIMIT.up), (signal) => theStack().up({ onOutput: toStdout, onError: toStderr, signal }));
    assert.equal(result.summary.result, "succeeded", "the database stage's readiness check passed with the new password");
    e2e().outputs = result.outputs;
    assert.notEqual(output("superuserPassword"), oldPassword, "destroy dropped the generated password; up generated a new one");
    await withClient({ connectionString: output("connectionUrl") }, async (client) => {
      for (const table of TABLES) {
        const key = e2e().inserted.get(table.name) ?? assert.fail(`step 3 inserted into ${table.name}`);
        const keyColumns = table.primaryKey.map(escapeIdentifier).join(", ");
        const placeholders = table.primaryKey.map((_, i) => `$${i + 1}`).join(", ");
        const res = await client.query(`SELECT 1 FROM ${qualified(table.name)} WHERE (${keyColumns}) = (${placeholders})`, key);
        assert.equal(res.rowCount, 1, `step 3's row in ${table.name} survived destroy + up`);
      }
    });
    // components/server/crypto-scout-entrypoint.sh says so in the container log, which holds neither password.
    const logs = await exec(ENGINE, ["logs", output("containerName")], bound("step 10: the server's container log", LIMIT.engine));
    const text = `${logs.stdout}${logs.stderr}`;
    assert.match(text, new RegExp(`crypto-scout-entrypoint: superuser ${output("superuser")} password set`));
    for (const pw of [oldPassword, output("superuserPassword")]) assert.ok(!text.includes(pw), "the container log holds a superuser password");
    log(`up on the retained volume: ${JSON.stringify(result.summary.resourceChanges)}; the entrypoint set the new superuser password`);
  });
});

// ---- Cleanup ----------------------------------------------------------------------------------------------------------

/** Always runs (after hook, or a signal): idempotent, and reports what it could not remove. */
function cleanUp(): Promise<void> {
  cleanup ??= (async () => {
    const r = run;
    if (!r) return;
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        problems.push(`${what}: ${(e as Error).message.split("\n")[0]}`);
      }
    };
    if (r.stack && !r.destroyed) {
      // A side database left by a failed step 8 would keep destroy from dropping the roles (see step 8).
      if (r.outputs) await dropSideDatabase().catch(() => undefined);
      await attempt("pulumi destroy", async () => {
        await withDeadline(bound("cleanup: pulumi destroy", LIMIT.destroy), (signal) => theStack().destroy({ onOutput: toStdout, onError: toStderr, signal }));
        r.destroyed = true;
      });
    }
    // What destroy left or never reached, and the volumes it keeps by design. Every name carries the unique prefix.
    const names = dockerNames(r.id);
    // Each check and removal is one attempt: an inspect that hangs is reported and the cleanup goes on.
    for (const container of [names.backupContainer, names.serverContainer]) {
      await attempt(`remove container ${container}`, async () => {
        if (await exists(["container", "inspect", container])) await exec(ENGINE, ["rm", "--force", container], bound(`cleanup: remove container ${container}`, LIMIT.engine));
      });
    }
    await attempt(`remove network ${names.network}`, async () => {
      if (await exists(["network", "inspect", names.network])) await exec(ENGINE, ["network", "rm", names.network], bound(`cleanup: remove network ${names.network}`, LIMIT.engine));
    });
    for (const volume of [names.dataVolume, names.backupVolume]) {
      await attempt(`remove volume ${volume}`, async () => {
        if (await exists(["volume", "inspect", volume])) await exec(ENGINE, ["volume", "rm", "--force", volume], bound(`cleanup: remove volume ${volume}`, LIMIT.engine));
      });
    }
    if (r.stack && r.externalStack) {
      const ext = r.externalStack;
      await attempt(`pulumi stack rm ${ext}`, () => withDeadline(bound(`cleanup: pulumi stack rm ${ext}`, LIMIT.workspace), () => theStack().workspace.removeStack(ext, { force: true })));
    }
    if (r.stack) {
      await attempt(`pulumi stack rm ${r.id}`, () => withDeadline(bound(`cleanup: pulumi stack rm ${r.id}`, LIMIT.workspace), () => theStack().workspace.removeStack(r.id, { force: true })));
    }
    // `pulumi stack select` remembers the selected stack per project path, in $PULUMI_HOME/workspaces/<project>-<sha1 of
    // the Pulumi.yaml path>-workspace.json (pulumi/pulumi pkg/workspace/workspace.go, settingsPath): remove that too.
    const pulumiHome = process.env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
    for (const dir of new Set([r.projectDir, fs.existsSync(r.projectDir) ? fs.realpathSync(r.projectDir) : r.projectDir])) {
      const hash = crypto.createHash("sha1").update(path.join(dir, "Pulumi.yaml")).digest("hex");
      fs.rmSync(path.join(pulumiHome, "workspaces", `${PROJECT}-${hash}-workspace.json`), { force: true });
    }
    for (const dir of [r.scratchDir, r.projectDir, r.backendDir]) {
      await attempt(`remove ${dir}`, async () => fs.rmSync(dir, { recursive: true, force: true }));
    }
    if (problems.length > 0) throw new Error(`e2e cleanup left something behind:\n- ${problems.join("\n- ")}`);
    log(`cleaned up: stack ${r.id}, its containers, network and volumes, and the temporary directories`);
  })();
  return cleanup;
}

function onSignal(signal: NodeJS.Signals): void {
  const code = signal === "SIGINT" ? 130 : 143;
  console.error(`\ne2e: ${signal}: cleaning up before exiting (send it again to exit at once)`);
  process.once(signal, () => process.exit(code));
  cleanUp().then(
    () => process.exit(code),
    (e: unknown) => {
      console.error((e as Error).message);
      process.exit(code);
    },
  );
}

// ---- Helpers ------------------------------------------------------------------------------------------------------------

function e2e(): E2ERun {
  if (!run) throw new Error("the e2e run was not set up (the before hook failed)");
  return run;
}

function theStack(): Stack {
  const stack = e2e().stack;
  if (!stack) throw new Error("no stack (the before hook failed)");
  return stack;
}

/** A stack output as a string; fails when `up` did not produce it. */
function output(name: (typeof OUTPUTS)[number]): string {
  const value = e2e().outputs?.[name]?.value;
  if (value === undefined || value === null || value === "") throw new Error(`stack output ${name} is missing (did step 1 pass?)`);
  return String(value);
}

/** The operations in a change summary other than `same`, without zeros. */
function changes(summary: OpMap): OpMap {
  return Object.fromEntries(Object.entries(summary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0));
}

/**
 * The program's files, without tests, local data, state, VCS and CI, and the other stacks' files; node_modules is a
 * symlink to the repository's, so the program resolves the same installed packages.
 */
function copyProgram(into: string): void {
  const skip = new Set([".git", ".github", ".ci", "node_modules", "test", "bin", "data", "backups", ".pulumi-state"]);
  for (const entry of fs.readdirSync(REPO_ROOT)) {
    if (skip.has(entry) || /^Pulumi\..+\.ya?ml$/.test(entry)) continue;
    fs.cpSync(path.join(REPO_ROOT, entry), path.join(into, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(into, "node_modules"), "dir");
}

/** A TCP port free on loopback right now (the kernel's pick for port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** For a failed command whose whole output matters (a script's progress log): print it, then fail with it. */
function showOutput(e: ExecError): never {
  toStdout(e.stderr ?? "");
  toStdout(e.stdout ?? "");
  throw e;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Whether `<engine> <inspect args>` finds the object. An inspect that hangs is not "absent": its timeout is thrown,
 * naming what was inspected.
 */
async function exists(inspect: readonly string[]): Promise<boolean> {
  try {
    await exec(ENGINE, inspect, bound(`${ENGINE} ${inspect.join(" ")}`, LIMIT.engine));
    return true;
  } catch (e) {
    if ((e as ExecError).code === "ETIMEDOUT") throw e;
    return false;
  }
}

interface ContainerState {
  Running?: boolean;
  Status?: string;
  /** Docker, and Podman 4+. */
  Health?: { Status?: string };
  /** Older Podman. */
  Healthcheck?: { Status?: string };
}

async function containerState(container: string): Promise<ContainerState> {
  const { stdout } = await exec(ENGINE, ["container", "inspect", "--format", "{{json .State}}", container], bound(`step 2: inspect ${container}`, LIMIT.engine));
  return JSON.parse(stdout) as ContainerState;
}

/** pg_isready inside the server container, over TCP as the container's own health check does it. A hang is thrown. */
async function pgIsReady(container: string): Promise<boolean> {
  try {
    await exec(
      ENGINE,
      ["exec", container, "pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", output("superuser"), "-d", output("database")],
      bound(`step 2: pg_isready in ${container}`, LIMIT.engine),
    );
    return true;
  } catch (e) {
    if ((e as ExecError).code === "ETIMEDOUT") throw e;
    return false;
  }
}

/** One GET of an exporter's metrics page, bounded. */
async function scrape(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(LIMIT.http) });
  return res.text();
}

/**
 * `pulumi preview --refresh --expect-no-changes`: the stack converged on what the engine and the server report now,
 * not only on the state `up` wrote. The CLI fails on a change; the summary is checked too, to say which.
 */
async function assertConverged(stack: Stack, step: string): Promise<void> {
  const preview = await withDeadline(bound(`${step}: pulumi preview --refresh --expect-no-changes`, LIMIT.preview), (signal) =>
    stack.preview({ refresh: true, expectNoChanges: true, diff: true, onOutput: toStdout, onError: toStderr, signal }),
  );
  assert.deepEqual(changes(preview.changeSummary), {}, `${step}: refreshed preview: ${JSON.stringify(preview.changeSummary)}`);
}

async function withClient<T>(config: ClientConfig, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ ...config, connectionTimeoutMillis: 15_000, query_timeout: LIMIT.query });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function qualified(table: string): string {
  return `${escapeIdentifier(SCHEMA)}.${escapeIdentifier(table)}`;
}

function insertSql(table: TableSpec, columns: readonly string[]): string {
  const placeholders = columns.map((_, i) => `$${i + 1}`).join(", ");
  return `INSERT INTO ${qualified(table.name)} (${columns.map(escapeIdentifier).join(", ")}) VALUES (${placeholders})`;
}

/** A row as the collector writes it: every column but the serial ones, with a value of the column's type. */
function collectorRow(table: TableSpec, at: Date): { columns: string[]; values: unknown[] } {
  const columns = table.columns.filter((c) => !isSerial(c.type));
  return { columns: columns.map((c) => c.name), values: columns.map((c) => sampleValue(table, c, at)) };
}

function sampleValue(table: TableSpec, column: ColumnSpec, at: Date): unknown {
  const type = canonicalType(column.type) ?? "";
  if (type.startsWith("timestamp")) return at;
  if (type === "date") return at.toISOString().slice(0, 10);
  if (type === "smallint" || type === "integer" || type === "bigint") return 42;
  if (type === "real" || type === "double precision") return 1.5;
  const numeric = /^numeric(?:\((\d+)(?:,(\d+))?\))?$/.exec(type);
  if (numeric) {
    const scale = Number(numeric[2] ?? 0);
    const integerDigits = numeric[1] === undefined ? Infinity : Number(numeric[1]) - scale;
    return scale === 0 ? "1" : integerDigits >= 1 ? "1.5" : "0.5";
  }
  const varchar = /^character varying(?:\((\d+)\))?$/.exec(type);
  if (type === "text" || varchar) {
    const text = `e2e ${table.name}.${column.name}`;
    return varchar?.[1] ? text.slice(0, Number(varchar[1])) : text;
  }
  if (type === "boolean") return true;
  if (type === "jsonb") return JSON.stringify({ e2e: true });
  if (type === "uuid") return crypto.randomUUID();
  if (type === "bytea") return Buffer.from("e2e");
  throw new Error(`no sample value for ${table.name}.${column.name} (${column.type}): add its type to sampleValue in ${path.basename(__filename)}`);
}

/**
 * Checks, as the superuser, that the stack's TimescaleDB jobs are exactly the model's policies (compression,
 * retention, reorder per table) with the model's settings; returns their ids by `<table>/<proc>`.
 */
async function assertPolicyJobs(tables: readonly TableSpec[]): Promise<Map<string, number>> {
  return withClient({ connectionString: output("connectionUrl") }, async (client) => {
    const res = await client.query(
      `SELECT job_id, proc_name, hypertable_name, config FROM timescaledb_information.jobs
        WHERE hypertable_schema = $1 ORDER BY hypertable_name, proc_name`,
      [SCHEMA],
    );
    const jobs = new Map<string, { id: number; config: Record<string, unknown> }>();
    for (const row of res.rows) {
      const key = `${row.hypertable_name}/${row.proc_name}`;
      assert.ok(!jobs.has(key), `one job ${key}`);
      jobs.set(key, { id: Number(row.job_id), config: row.config ?? {} });
    }
    const expected = tables.flatMap((t) => POLICY_JOBS.map((p) => `${hypertableName(t)}/${p.proc}`)).sort();
    assert.deepEqual([...jobs.keys()].sort(), expected, `the ${expected.length} policy jobs in ${SCHEMA}`);
    for (const table of tables) {
      for (const policy of POLICY_JOBS) {
        const key = `${hypertableName(table)}/${policy.proc}`;
        const actual = jobs.get(key)?.config[policy.key];
        const wanted = policy.expected(table);
        if (policy.interval) {
          const same = await client.query("SELECT $1::interval = $2::interval AS same", [actual, wanted]);
          assert.equal(same.rows[0].same, true, `${key}: ${policy.key} is ${JSON.stringify(actual)}, the model says ${wanted}`);
        } else {
          assert.equal(actual, wanted, `${key}: ${policy.key}`);
        }
      }
    }
    return new Map([...jobs].map(([key, job]) => [key, job.id]));
  });
}

/** Drops restore-backup.sh's side database, as the superuser from the maintenance database. */
async function dropSideDatabase(): Promise<void> {
  const live = parseDatabaseUrl(output("connectionUrl"), "connectionUrl");
  await withClient({ ...live, database: "postgres" }, (c) => c.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(SIDE_DB)} WITH (FORCE)`));
}

/** Rows per model table in one database. */
async function rowCounts(config: ClientConfig): Promise<Map<string, string>> {
  return withClient(config, async (client) => {
    const counts = new Map<string, string>();
    for (const table of TABLES) {
      const res = await client.query(`SELECT count(*)::bigint AS n FROM ${qualified(table.name)}`);
      counts.set(table.name, String(res.rows[0].n));
    }
    return counts;
  });
}
