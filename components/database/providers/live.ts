/**
 * Applying the model to a live database: plain async functions over a `pg` Client, shared by the dynamic providers
 * (hypertable, policy, readiness) and the `schema` CLI, so `pulumi up` and `npm run schema -- apply` run the same code.
 *
 * Pulumi serializes the dynamic providers together with every function they reach, so this module keeps to functions
 * and constants: `pg` is required inside `connect` (the serializer turns module captures into `require` calls), and
 * nothing here holds state between calls.
 */
import type { Client } from "pg";
import { canonicalType, isSerial, type HypertableSpec, type TableSpec } from "../model";
import { hostPort } from "../url";
import { dropScaledStorageSql, scaledStorageNames, scaledStorageParts, scaledStorageSpec, storageTableName } from "../scaled";
import {
  createExtensionSql,
  createSchemaSql,
  dropTableSql,
  parseCompressionColumns,
  planPolicy,
  literal,
  planTable,
  qualified,
  removePolicySql,
  tablePolicies,
  tableSql,
  type LiveIndex,
  type LivePolicy,
  type LiveTable,
  type PolicyKind,
  type PolicySpec,
  type TablePlan,
} from "../sql";

/** Where and as whom to connect. The password is a secret wherever it travels through Pulumi. */
export interface Connection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /**
   * TLS, with libpq's sslmode meaning (see `urlTls` in connection.ts, which reads it from a URL's sslmode and
   * sslrootcert). Absent: no TLS, as for the local container; absent fields never appear in a provider's inputs.
   */
  readonly tls?: ConnectionTls;
}

/** libpq's sslmode values that `connect` implements (`allow` is refused when parsing; `prefer` acts as `require`). */
export type SslMode = "disable" | "prefer" | "require" | "verify-ca" | "verify-full";

/** TLS settings of a connection: plain data, so they can travel in dynamic providers' inputs. */
export interface ConnectionTls {
  readonly mode: SslMode;
  /** PEM CA certificate(s) the server's chain must lead to; absent with verify-*: the client's CA store. */
  readonly rootCert?: string;
  /** Where `rootCert` came from (a file, `system`, or `inline` for a PEM given in the stack config), for messages. */
  readonly rootCertFile?: string;
}

/**
 * `pg`'s `ssl` option (tls.connect options) for libpq's sslmode: false without TLS; `require` (and `prefer`, which
 * `pg` cannot let fall back to plain) skips certificate checks unless a root certificate is given, in which case,
 * as in libpq, the chain is verified like verify-ca; verify-ca checks the chain but not the host name; verify-full
 * checks both (Node's checkServerIdentity: DNS names, or IP addresses for an IP host). Without `rootCert` verify-*
 * use Node's CA store.
 */
export function tlsOptions(ssl: ConnectionTls | undefined): false | { ca?: string; rejectUnauthorized: boolean; checkServerIdentity?: () => undefined } {
  if (!ssl || ssl.mode === "disable") return false; // explicit: no sslmode means no TLS (the local container has none)
  const ca = ssl.rootCert ? { ca: ssl.rootCert } : {};
  const noHostCheck = { checkServerIdentity: () => undefined };
  switch (ssl.mode) {
    case "prefer":
    case "require":
      return ssl.rootCert ? { ...ca, rejectUnauthorized: true, ...noHostCheck } : { rejectUnauthorized: false };
    case "verify-ca":
      return { ...ca, rejectUnauthorized: true, ...noHostCheck };
    case "verify-full":
      return { ...ca, rejectUnauthorized: true };
    default:
      throw new Error(`unknown sslmode ${JSON.stringify((ssl as ConnectionTls).mode)}`);
  }
}

/** `sslmode=..., sslrootcert=...`: how messages name the TLS settings (no sslmode: plain). */
export function sslDescription(ssl: ConnectionTls | undefined): string {
  if (!ssl) return "no sslmode, so no TLS";
  // "inline": the stack's sslRootCert held the PEM itself (components/config/external.ts).
  const file = ssl.rootCertFile === "inline" ? "the PEM in sslRootCert" : ssl.rootCertFile;
  return `sslmode=${ssl.mode}${file ? `, sslrootcert=${file}` : ""}`;
}

/**
 * Whether a connection error is about TLS itself (the server refused it, or the certificate did not verify): Node's
 * X.509 verification codes, its TLS/SSL error codes, and pg's messages for a server that answers the SSLRequest
 * with 'N' or an error. Retrying cannot fix these.
 */
export function isTlsError(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === "string" ? err.code : "";
  const message = typeof err?.message === "string" ? err.message : "";
  return (
    /CERT|CRL|^UNABLE_TO_|^INVALID_(CA|PURPOSE)$|^PATH_LENGTH_EXCEEDED$|^HOSTNAME_MISMATCH$|^ERR_TLS_|^ERR_SSL_|^EPROTO$/.test(code) ||
    /^(The server does not support SSL connections|There was an error establishing an SSL connection)$/.test(message)
  );
}

/** The error `connect` throws: TLS failures as one line naming host, port, the TLS error and the settings. */
export function connectError(c: Connection, e: unknown): unknown {
  const err = e as Error & { code?: string };
  const where = hostPort(c);
  if (c.tls && c.tls.mode !== "disable" && isTlsError(e)) {
    const tls = new Error(`TLS to ${where} failed: ${String(err.message).replace(/[\s:]+$/, "")} (${sslDescription(c.tls)})`) as Error & { code: string };
    tls.name = "TlsError";
    tls.code = "TLS_FAILED";
    return tls;
  }
  if ((!c.tls || c.tls.mode === "disable") && err?.code === "28000" && /no encryption/.test(String(err.message))) {
    // pg_hba.conf has hostssl lines only: say so, keeping the SQLSTATE (an authentication failure: not retried).
    err.message = `${where} requires TLS: ${err.message} (${sslDescription(c.tls)}; use sslmode=verify-full with sslrootcert)`;
  }
  return e;
}

/** One connection attempt; the client is ended again if it fails. */
export async function connect(c: Connection, timeoutMs = 10_000): Promise<Client> {
  const pg = require("pg") as typeof import("pg");
  const client = new pg.Client({
    host: c.host,
    port: Number(c.port),
    database: c.database,
    user: c.user,
    password: c.password,
    ssl: tlsOptions(c.tls),
    connectionTimeoutMillis: timeoutMs,
    application_name: "crypto-scout-db",
  });
  // A server that goes away mid-session emits 'error' on the client; the pending query rejects with it anyway.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw connectError(c, e);
  }
  return client;
}

/** Runs `fn` with a fresh client and always ends it. */
export async function withClient<T>(c: Connection, fn: (client: Client) => Promise<T>, timeoutMs?: number): Promise<T> {
  const client = await connect(c, timeoutMs);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** SQLSTATEs that retrying cannot fix: wrong password, no such role or no pg_hba entry. */
const FATAL_AUTH_CODES = ["28P01", "28000"];

/**
 * Waits until the server accepts a connection as `c.user` with `c.password` and answers a query, retrying with
 * backoff (0.25 s doubling to 5 s) for at most `timeoutSeconds`. A rejected password, or TLS that fails (refused by the
 * server, or a certificate that does not verify), fails at once.
 */
export async function waitForServer(c: Connection, timeoutSeconds: number): Promise<{ serverVersion: string; attempts: number }> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let delay = 250;
  let attempts = 0;
  let lastError = "no attempt was made";
  for (;;) {
    attempts++;
    try {
      const remaining = deadline - Date.now();
      const version = await withClient(
        c,
        async (client) => (await client.query("SELECT current_setting('server_version') AS v")).rows[0].v as string,
        Math.max(1000, Math.min(10_000, remaining)),
      );
      return { serverVersion: version, attempts };
    } catch (e) {
      const err = e as Error & { code?: string };
      lastError = err.message || String(e);
      if (err.code === "TLS_FAILED") throw err; // one line from connect: the server refused TLS or the certificate did not verify
      if (err.code && FATAL_AUTH_CODES.includes(err.code)) {
        const advice = / requires TLS: /.test(lastError) ? "the server accepts TLS connections only" : "check the password and role";
        throw new Error(`TimescaleDB at ${hostPort(c)} rejected user ${c.user}: ${lastError} (not retried: ${advice})`);
      }
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
    delay = Math.min(delay * 2, 5000);
  }
  throw new Error(`TimescaleDB at ${hostPort(c)} did not accept connections as user ${c.user} within ${timeoutSeconds} s: ${lastError}`);
}

/** Runs statements in one transaction; on failure rolls back and names the statement that failed. */
export async function runStatements(client: Client, statements: readonly string[]): Promise<void> {
  if (statements.length === 0) return;
  await client.query("BEGIN");
  let current = "";
  try {
    for (const s of statements) {
      current = s;
      await client.query(s);
    }
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    const err = e as Error;
    err.message = `${err.message} (while running: ${current.split("\n")[0]}${current.includes("\n") ? " ..." : ""})`;
    throw err;
  }
}

/** The live state of `schema.table` from the catalog and TimescaleDB's views; undefined when it does not exist. */
export async function inspectTable(client: Client, schema: string, table: string): Promise<LiveTable | undefined> {
  const rel = await client.query(
    `SELECT c.oid::int8 AS oid, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, table],
  );
  if (rel.rows.length === 0) return undefined;
  const oid = String(rel.rows[0].oid);
  const relkind = String(rel.rows[0].relkind);
  const columns = await client.query(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
       FROM pg_attribute a WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  const indexes = await client.query(
    `SELECT ci.relname AS name, i.indisunique AS is_unique, i.indisprimary AS is_primary,
            (SELECT json_agg(json_build_object('column', a.attname, 'desc', (i.indoption[k.ord - 1] & 1) = 1) ORDER BY k.ord)
               FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
               LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE k.ord <= i.indnkeyatts) AS keys
       FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid WHERE i.indrelid = $1::oid`,
    [oid],
  );
  const liveIndexes: LiveIndex[] = indexes.rows.map((r) => {
    const keys = (r.keys ?? []) as Array<{ column: string | null; desc: boolean }>;
    const expression = keys.some((k) => k.column === null);
    return {
      name: r.name,
      unique: r.is_unique,
      primary: r.is_primary,
      columns: expression ? undefined : keys.map((k) => (k.desc ? { column: k.column as string, desc: true } : { column: k.column as string })),
    };
  });
  const dimension = await client.query(
    `SELECT column_name, extract(epoch FROM time_interval)::float8 AS seconds FROM timescaledb_information.dimensions
      WHERE hypertable_schema = $1 AND hypertable_name = $2 ORDER BY dimension_number LIMIT 1`,
    [schema, table],
  );
  let compression: LiveTable["compression"];
  const hyper = await client.query(
    `SELECT compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_schema = $1 AND hypertable_name = $2`,
    [schema, table],
  );
  if (hyper.rows[0]?.compression_enabled) {
    const settings = await client.query(
      `SELECT segmentby, orderby FROM timescaledb_information.hypertable_compression_settings WHERE hypertable = $1::oid::regclass`,
      [oid],
    );
    const row = settings.rows[0] ?? {};
    compression = {
      segmentBy: parseCompressionColumns(row.segmentby).map((k) => k.column),
      orderBy: parseCompressionColumns(row.orderby),
    };
  }
  return {
    relkind,
    columns: columns.rows.map((r) => ({ name: r.name, type: r.type, notNull: r.not_null })),
    primaryKey: liveIndexes.find((i) => i.primary)?.columns?.map((k) => k.column),
    indexes: liveIndexes,
    hypertable: dimension.rows[0]
      ? { timeColumn: dimension.rows[0].column_name, chunkIntervalSeconds: dimension.rows[0].seconds === null ? undefined : Number(dimension.rows[0].seconds) }
      : undefined,
    compression,
  };
}

const POLICY_PROCS: Record<PolicyKind, { proc: string; key: string }> = {
  compression: { proc: "policy_compression", key: "compress_after" },
  retention: { proc: "policy_retention", key: "drop_after" },
  reorder: { proc: "policy_reorder", key: "index_name" },
};

/** The table's policy job of `kind` (from timescaledb_information.jobs), or undefined. */
export async function inspectPolicy(client: Client, schema: string, table: string, kind: PolicyKind): Promise<LivePolicy | undefined> {
  const { proc, key } = POLICY_PROCS[kind];
  const res = await client.query(
    `SELECT job_id, config->>$4 AS value FROM timescaledb_information.jobs
      WHERE hypertable_schema = $1 AND hypertable_name = $2 AND proc_name = $3 ORDER BY job_id LIMIT 1`,
    [schema, table, proc, key],
  );
  const row = res.rows[0];
  if (!row) return undefined;
  const jobId = Number(row.job_id);
  if (kind === "reorder") return { jobId, index: row.value ?? undefined };
  if (row.value === null || row.value === undefined) return { jobId };
  const seconds = await client.query(`SELECT extract(epoch FROM $1::interval)::float8 AS s`, [row.value]);
  return { jobId, afterSeconds: Number(seconds.rows[0].s) };
}

/** A change the model implies but that is never made automatically; the message says how to migrate. */
export function refusedError(plan: TablePlan): Error {
  const e = new Error(`Refused to change the schema; nothing was applied:\n- ${plan.refusals.join("\n- ")}`);
  e.name = "RefusedChange";
  return e;
}

/** The plan for one table against the live database, for either storage (see `planLiveScaled`). */
export async function planLiveTable(client: Client, schema: string, t: HypertableSpec): Promise<TablePlan> {
  const live = await inspectTable(client, schema, t.name);
  if (t.storage === "scaled") return planLiveScaled(client, schema, t, live);
  if (live?.relkind === "v" && (await inspectTable(client, schema, storageTableName(t.name)))) {
    // Scaled storage in the database, numeric in the model.
    return storageSwitch(client, schema, t, "scaled", "numeric", [...dropScaledStorageSql(schema, t.name), ...tableSql(schema, t)]);
  }
  return planTable(schema, t, live);
}

/**
 * The plan for a scaled table (components/database/scaled.ts): the physical hypertable `<table>_scaled` compared with
 * its model like any table (`planTable` over `scaledStorageSpec`), then the view, its rule and trigger and the
 * functions, re-created (all CREATE OR REPLACE) when anything about them differs from the model or the physical
 * table changed. A NUMERIC table of the same name is converted only when it holds no rows (`storageSwitch`).
 */
async function planLiveScaled(client: Client, schema: string, t: HypertableSpec, live: LiveTable | undefined): Promise<TablePlan> {
  const parts = scaledStorageParts(schema, t);
  const all = [...parts.storage, ...parts.view];
  if (live && (live.relkind === "r" || live.relkind === "p")) {
    return storageSwitch(client, schema, t, "numeric", "scaled", [`DROP TABLE ${qualified(schema, t.name)}`, ...all]);
  }
  if (live && live.relkind !== "v") {
    return { statements: [], refusals: [`${schema}.${t.name} exists but is neither a table nor a view (relkind ${live.relkind}); drop or rename it, then run again.`] };
  }
  const physicalSpec = scaledStorageSpec(schema, t);
  const physical = await inspectTable(client, schema, physicalSpec.name);
  if (!physical) return { statements: all, refusals: [] };
  const plan = planTable(schema, physicalSpec, physical);
  if (plan.refusals.length > 0) return plan;
  const viewMatches =
    live !== undefined &&
    live.columns.length === t.columns.length &&
    t.columns.every((c, i) => live.columns[i].name === c.name && live.columns[i].type === canonicalType(c.type)) &&
    (await scaledObjectsExist(client, schema, t.name));
  return { statements: plan.statements.length === 0 && viewMatches ? [] : [...plan.statements, ...parts.view], refusals: [] };
}

/** Whether the view's rule and trigger and the three functions of scaled storage exist. */
async function scaledObjectsExist(client: Client, schema: string, table: string): Promise<boolean> {
  const names = scaledStorageNames(table);
  const res = await client.query(
    `SELECT (SELECT count(*) FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relname = $2 AND r.rulename = $3)::int AS rules,
            (SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relname = $2 AND g.tgname = $4)::int AS triggers,
            (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = $1 AND p.proname = ANY($5))::int AS functions`,
    [schema, table, names.rule, names.trigger, [names.scaleFunction, names.rejectFunction, names.insertFunction]],
  );
  const r = res.rows[0];
  return r.rules === 1 && r.triggers === 1 && r.functions === 3;
}

/**
 * The first step of migrating a table with rows to the other storage: move the old one out of the new one's way, its
 * name, the model's index names (per schema) and, when a numeric table is to be made again, the seed's sequence name
 * (a BIGSERIAL would otherwise get `<table>_id_seq1`, which no grant names). Named in the refusal; tested by running it.
 */
export function storageMigrationRenames(schema: string, t: HypertableSpec, from: "numeric" | "scaled"): { old: string; renames: string[] } {
  const q = qualified(schema, t.name);
  const old = `${t.name}_${from}_old`;
  const renames = [
    from === "scaled" ? `ALTER VIEW ${q} RENAME TO ${old}` : `ALTER TABLE ${q} RENAME TO ${old}`,
    ...(from === "scaled" ? [`ALTER TABLE ${qualified(schema, storageTableName(t.name))} RENAME TO ${old}_data`] : []),
    ...t.indexes.map((i) => `ALTER INDEX ${qualified(schema, i.name)} RENAME TO ${i.name}_old`),
    ...(from === "scaled" ? t.columns.filter((c) => isSerial(c.type)).map((c) => `ALTER SEQUENCE ${qualified(schema, `${t.name}_${c.name}_seq`)} RENAME TO ${old}_${c.name}_seq`) : []),
  ];
  return { old, renames };
}

/**
 * Switching a table between numeric and scaled storage. Without rows it is done (drop the empty one, create the
 * other, in the same transaction). With rows it is refused, whatever the stack says: converting is a migration that
 * must be checked, not a side effect of `pulumi up` (docs/storage.md: the steps).
 */
async function storageSwitch(client: Client, schema: string, t: HypertableSpec, from: "numeric" | "scaled", to: string, statements: string[]): Promise<TablePlan> {
  const holder = from === "scaled" ? storageTableName(t.name) : t.name;
  const rows = await client.query(`SELECT EXISTS (SELECT 1 FROM ${qualified(schema, holder)}) AS any`);
  if (!rows.rows[0].any) {
    // Checked again inside the transaction that drops it, under a lock: a row written since the plan aborts the switch.
    const held = qualified(schema, holder);
    const guard = [
      `LOCK TABLE ${held} IN ACCESS EXCLUSIVE MODE`,
      `DO $guard$ BEGIN IF EXISTS (SELECT 1 FROM ${held}) THEN RAISE EXCEPTION ${literal(`${schema}.${holder} got rows while its storage was being switched; nothing was changed, run again`)}; END IF; END $guard$`,
    ];
    return { statements: [...guard, ...statements], refusals: [] };
  }
  const q = qualified(schema, t.name);
  const { old, renames } = storageMigrationRenames(schema, t, from);
  return {
    statements: [],
    refusals: [
      `${schema}.${t.name}: the model stores it ${to} but the database holds it ${from}, with rows; a table that holds rows is never converted automatically. ` +
        `To migrate: stop the writers; ${renames.join("; ")}; ` +
        `run pulumi up (it creates the ${to} table); copy the rows range by range with INSERT INTO ${q} SELECT * FROM ${qualified(schema, old)} WHERE <time range>, ` +
        `checking per range that count(*) and the sum of every numeric column are equal in both; set the id sequence past max(id); then DROP the old one and start the writers (docs/storage.md). ` +
        `Or keep storage ${from} for this table.`,
    ],
  };
}

/**
 * Creates or adopts `schema.table` and brings it to the model in one transaction: returns the statements run (none
 * when it already matches). Throws a RefusedChange error, having changed nothing, for destructive changes.
 */
export async function applyTable(client: Client, schema: string, t: HypertableSpec): Promise<string[]> {
  const plan = await planLiveTable(client, schema, t);
  if (plan.refusals.length > 0) throw refusedError(plan);
  await runStatements(client, plan.statements);
  return plan.statements;
}

/**
 * The hypertable a table's policies belong to: the table itself, or, for a scaled table (a view named as the table),
 * its physical `<table>_scaled`. Resolved here rather than in the resources' inputs, so a numeric table's policy
 * resources keep their inputs and a storage switch needs no policy replacement.
 */
export async function policyHypertable(client: Client, schema: string, table: string): Promise<string> {
  const res = await client.query(
    `SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, table],
  );
  return res.rows[0]?.relkind === "v" ? storageTableName(table) : table;
}

/** The statements that would bring the table's policy to the model. */
export async function planLivePolicy(client: Client, schema: string, table: string, p: PolicySpec): Promise<string[]> {
  const hypertable = await policyHypertable(client, schema, table);
  return planPolicy(schema, hypertable, p, await inspectPolicy(client, schema, hypertable, p.kind));
}

/**
 * Adds the policy, or changes its setting in place (alter_job) when it differs; returns the statements run. A
 * retention that would drop chunks which exist now is refused (a RetentionDrop error, nothing changed) unless the
 * policy carries the stack's opt-in (`allowDrop`).
 */
export async function applyPolicy(client: Client, schema: string, table: string, p: PolicySpec): Promise<string[]> {
  const statements = await planLivePolicy(client, schema, table, p);
  if (statements.length > 0 && p.kind === "retention" && !p.allowDrop) {
    const drop = await retentionDrop(client, schema, table, p.after);
    if (drop) throw retentionDropError(drop);
  }
  await runStatements(client, statements);
  return statements;
}

/** Chunks that exist now and that a retention would drop but the live one (if any) would not. */
export interface RetentionDrop {
  readonly schema: string;
  /** The model's table (the key the stack writes), and the hypertable the policy is on (`<table>_scaled` for scaled storage). */
  readonly table: string;
  readonly hypertable: string;
  /** The retention being applied, and the live one (none when the table has no retention policy yet). */
  readonly retention: string;
  readonly liveRetention?: string;
  readonly chunks: number;
  readonly rows: number;
  /** Whether `rows` is partly TimescaleDB's estimate (approximate_row_count) rather than an exact count. */
  readonly estimated: boolean;
  /** The time range the chunks cover, as the server prints it. */
  readonly from: string;
  readonly to: string;
}

/**
 * What applying retention `after` would drop that exists now: the chunks TimescaleDB's own show_chunks(older_than)
 * returns for it (the same selection drop_chunks and the retention job make), minus those the live retention would
 * drop anyway. Undefined when that is nothing (or the table is not a hypertable yet). Rows per chunk come from
 * approximate_row_count (the catalog's statistics, compressed chunks included: sql/size_utils.sql), which costs no
 * scan; a chunk whose estimate is 0 (empty, or never analyzed) is counted exactly, which is cheap for the empty ones.
 */
export async function retentionDrop(client: Client, schema: string, table: string, after: string): Promise<RetentionDrop | undefined> {
  const hypertable = await policyHypertable(client, schema, table);
  if (!(await isHypertable(client, schema, hypertable))) return undefined;
  const live = await inspectPolicy(client, schema, hypertable, "retention");
  const rel = qualified(schema, hypertable);
  const liveText = live?.afterSeconds !== undefined ? `${live.afterSeconds} seconds` : undefined;
  const res = await client.query(
    `WITH dropped AS (
       SELECT c FROM show_chunks($1::regclass, older_than => $2::interval) c
       EXCEPT SELECT c FROM show_chunks($1::regclass, older_than => $3::interval) c WHERE $3::interval IS NOT NULL)
     SELECT d.c::text AS chunk, approximate_row_count(d.c)::int8 AS approx, ch.range_start::text AS range_start, ch.range_end::text AS range_end
       FROM dropped d JOIN timescaledb_information.chunks ch ON format('%I.%I', ch.chunk_schema, ch.chunk_name)::regclass = d.c
      ORDER BY ch.range_start`,
    [rel, after, liveText ?? null],
  );
  if (res.rows.length === 0) return undefined;
  let rows = 0;
  let estimated = false;
  for (const r of res.rows) {
    const approx = Number(r.approx);
    if (approx > 0) {
      rows += approx;
      estimated = true;
    } else {
      // The chunk name comes from the catalog as regclass text, already quoted where needed.
      rows += Number((await client.query(`SELECT count(*)::int8 AS n FROM ${r.chunk}`)).rows[0].n);
    }
  }
  const liveRetention = live?.afterSeconds !== undefined ? secondsText(live.afterSeconds) : undefined;
  return {
    schema,
    table,
    hypertable,
    retention: after,
    liveRetention,
    chunks: res.rows.length,
    rows,
    estimated,
    from: String(res.rows[0].range_start),
    to: String(res.rows[res.rows.length - 1].range_end),
  };
}

/** Seconds in the model's interval syntax (`180 days`, `12 hours`), for messages. */
function secondsText(seconds: number): string {
  const [n, unit] = seconds % 86400 === 0 ? [seconds / 86400, "day"] : seconds % 3600 === 0 ? [seconds / 3600, "hour"] : seconds % 60 === 0 ? [seconds / 60, "minute"] : [seconds, "second"];
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** One line: what would go, and the two ways on (keep the history, or opt in for this one value). */
export function retentionDropMessage(d: RetentionDrop, advice = true): string {
  const key = `tables.${d.table}`;
  const where = d.hypertable === d.table ? `${d.schema}.${d.table}` : `${d.schema}.${d.table} (stored in ${d.hypertable})`;
  const change = d.liveRetention ? `from ${d.liveRetention} to ${d.retention}` : `of ${d.retention} (the table has no retention policy now)`;
  return (
    `A retention ${change} on ${where} drops ${d.chunks} chunk${d.chunks === 1 ? "" : "s"} that exist now ` +
    `(${d.estimated ? "about " : ""}${d.rows} row${d.rows === 1 ? "" : "s"}, from ${d.from} to ${d.to}) at the retention job's next run.` +
    (!advice ? "" : " " +
    `To keep them, leave ${key}.retention${d.liveRetention ? ` at ${d.liveRetention}` : " longer"} (a backup holds them too: docs/operations-upgrade.md); ` +
    `to drop them, set ${key}.allowRetentionDrop to "${d.retention}" (the opt-in holds for this one retention) and run again.`)
  );
}

/** The refusal of a retention change that drops existing chunks. */
export function retentionDropError(d: RetentionDrop): Error {
  const e = new Error(`Refused to change the retention; nothing was applied: ${retentionDropMessage(d)}`);
  e.name = "RetentionDrop";
  return e;
}

async function isHypertable(client: Client, schema: string, table: string): Promise<boolean> {
  const res = await client.query(
    `SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_schema = $1 AND hypertable_name = $2`,
    [schema, table],
  );
  return res.rows.length > 0;
}

/** Removes the table's policy of `kind` if there is one (and the hypertable still exists); never touches rows. */
export async function removePolicy(client: Client, schema: string, modelTable: string, kind: PolicyKind): Promise<string[]> {
  const table = await policyHypertable(client, schema, modelTable);
  if (!(await isHypertable(client, schema, table))) return [];
  if (!(await inspectPolicy(client, schema, table, kind))) return [];
  const statements = [removePolicySql(schema, table, kind)];
  await runStatements(client, statements);
  return statements;
}

/** Drops the table and its rows (a scaled one's view, functions and storage). Only called when the stack opted in (`destroyDropsTables`). */
export async function dropTable(client: Client, schema: string, table: string): Promise<string[]> {
  const live = await inspectTable(client, schema, table);
  const statements = live?.relkind === "v" ? dropScaledStorageSql(schema, table) : [dropTableSql(schema, table)];
  await runStatements(client, statements);
  return statements;
}

/** The extension and the schema, created when missing; returns the statements run. */
export async function applyDatabase(client: Client, schema: string): Promise<string[]> {
  const res = await client.query(
    `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS ext, EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema`,
    [schema],
  );
  const statements = [...(res.rows[0].ext ? [] : [createExtensionSql()]), ...(res.rows[0].schema ? [] : [createSchemaSql(schema)])];
  await runStatements(client, statements);
  return statements;
}

/**
 * The whole model, as the CLI applies it: extension, schema, then per table its DDL and its three policies. Stops at
 * the first table with a refused change, having applied the tables before it. Returns the statements run.
 */
export async function applyModel(client: Client, schema: string, tables: readonly TableSpec[]): Promise<string[]> {
  const statements = await applyDatabase(client, schema);
  for (const t of tables) {
    statements.push(...(await applyTable(client, schema, t)));
    for (const p of tablePolicies(t)) statements.push(...(await applyPolicy(client, schema, t.name, p)));
  }
  return statements;
}

/**
 * Pulumi's placeholder for a value not known during preview (`pulumi.runtime.unknownValue`). A copy, so the
 * serialized providers do not load the Pulumi SDK; test/database/providers.test.ts pins it to the SDK's.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** JSON with object keys sorted, for comparing inputs that went through protobuf (which does not keep key order). */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The keys whose values differ between two property bags. */
export function changedKeys(olds: Record<string, unknown>, news: Record<string, unknown>, keys: readonly string[]): string[] {
  return keys.filter((k) => stableJson(olds[k]) !== stableJson(news[k]));
}

/** Whether every connection field is known (not a preview placeholder), so a diff may look at the live database. */
export function isKnownConnection(c: Partial<Connection>): c is Connection {
  return [c.host, c.port, c.database, c.user, c.password].every((v) => v !== undefined && v !== null && v !== UNKNOWN);
}

/** Inputs that say where and how to connect: a change to any of them is a change (tls absent: no TLS, as before). */
export const CONNECTION_KEYS = ["host", "port", "database", "user", "password", "tls"] as const;
