/**
 * Monitoring, as data: the least privileges of the monitoring login role, and sql_exporter's TimescaleDB collector
 * file (monitoring/timescaledb-collector.yml) read and checked as sql_exporter reads it.
 *
 * The role's privileges (found on the engine, test/monitoring-sql.test.ts): `pg_monitor` (for postgres_exporter:
 * every session in pg_stat_activity, pg_stat_statements, superuser-only settings) and CONNECT on the database; nothing
 * on the crypto_scout schema or its hypertables, and no write privilege anywhere. The collector's queries need no more:
 * TimescaleDB's information views and its catalog tables are readable by every role, and its size and statistics
 * functions (hypertable_detailed_size, chunks_detailed_size, hypertable_compression_stats, approximate_row_count) check
 * no privilege when given the table's OID. Only naming a table (`'crypto_scout.cmc_fgi'::regclass`) would need USAGE on
 * its schema, and the queries never do. Without USAGE or SELECT the role cannot read a row of market data either.
 *
 * The collector format is sql_exporter's (github.com/burningalchemist/sql_exporter, config/collector_config.go,
 * config/metric_config.go, config/query_config.go): `collector_name`, `metrics[]` (metric_name, type gauge|counter,
 * help, key_labels, static_labels, value_label, values or static_value, query or query_ref) and `queries[]`
 * (query_name, query). `parseCollector` applies its checks, so a file that passes here loads there.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { ident, literal } from "./sql";

// ---------------------------------------------------------------------------------------------------------------
// The monitoring role
// ---------------------------------------------------------------------------------------------------------------

/** Predefined roles the monitoring role is a member of (`postgresql.Role` `roles`, or one `postgresql.GrantRole` each). */
export const MONITORING_MEMBER_OF: readonly string[] = Object.freeze(["pg_monitor"]);

/**
 * The role's attributes, named as `postgresql.Role`'s arguments. A login that inherits pg_monitor's rights and nothing
 * else; a connection limit for the exporters' pools (sql_exporter's max_connections, 3 by default, postgres_exporter's
 * 1, one spare for an operator) so monitoring cannot crowd out the collector; a statement timeout so a slow scrape
 * query gives up instead of piling up.
 */
export interface MonitoringRoleAttributes {
  readonly login: true;
  readonly inherit: true;
  readonly superuser: false;
  readonly createDatabase: false;
  readonly createRole: false;
  readonly replication: false;
  readonly bypassRowLevelSecurity: false;
  readonly connectionLimit: number;
  /** Milliseconds. */
  readonly statementTimeout: number;
  readonly roles: readonly string[];
}

/** One object privilege, shaped as `postgresql.Grant`'s arguments (without `role`). */
export interface ObjectGrant {
  readonly objectType: "database" | "schema" | "table";
  readonly database: string;
  /** Required unless objectType is "database". */
  readonly schema?: string;
  /** Only for tables (none: every table of the schema). */
  readonly objects?: readonly string[];
  readonly privileges: readonly string[];
}

export interface MonitoringPrivileges {
  readonly role: MonitoringRoleAttributes;
  readonly memberOf: readonly string[];
  readonly grants: readonly ObjectGrant[];
}

export const MONITORING_CONNECTION_LIMIT = 5;
export const MONITORING_STATEMENT_TIMEOUT_MS = 10_000;

/** Privileges that write, create or own something: none of them may ever be granted to the monitoring role. */
export const WRITE_PRIVILEGES: readonly string[] = Object.freeze(["INSERT", "UPDATE", "DELETE", "TRUNCATE", "CREATE", "TEMPORARY", "TEMP", "ALL", "REFERENCES", "TRIGGER", "MAINTAIN"]);

/** The object privileges of the monitoring role in `database`: CONNECT, and nothing on any schema or table. */
export function monitoringGrants(database: string): ObjectGrant[] {
  return [{ objectType: "database", database, privileges: ["CONNECT"] }];
}

/** Everything the monitoring role is: its attributes, memberships and grants in `database`. */
export function monitoringPrivileges(database: string): MonitoringPrivileges {
  return {
    role: {
      login: true,
      inherit: true,
      superuser: false,
      createDatabase: false,
      createRole: false,
      replication: false,
      bypassRowLevelSecurity: false,
      connectionLimit: MONITORING_CONNECTION_LIMIT,
      statementTimeout: MONITORING_STATEMENT_TIMEOUT_MS,
      roles: [...MONITORING_MEMBER_OF],
    },
    memberOf: [...MONITORING_MEMBER_OF],
    grants: monitoringGrants(database),
  };
}

/** The same privileges as SQL, in three steps (a server may refuse memberships in predefined roles to a non-superuser). */
export interface MonitoringRoleSql {
  readonly role: string[];
  readonly memberships: string[];
  readonly grants: string[];
}

/** `CREATE ROLE` with the attributes, the memberships and the grants of `monitoringPrivileges(database)` for `role`. */
export function monitoringRoleSql(role: string, database: string, password?: string): MonitoringRoleSql {
  const p = monitoringPrivileges(database);
  const r = p.role;
  const attributes = [
    r.login ? "LOGIN" : "NOLOGIN",
    r.inherit ? "INHERIT" : "NOINHERIT",
    r.superuser ? "SUPERUSER" : "NOSUPERUSER",
    r.createDatabase ? "CREATEDB" : "NOCREATEDB",
    r.createRole ? "CREATEROLE" : "NOCREATEROLE",
    r.replication ? "REPLICATION" : "NOREPLICATION",
    r.bypassRowLevelSecurity ? "BYPASSRLS" : "NOBYPASSRLS",
    `CONNECTION LIMIT ${r.connectionLimit}`,
    ...(password !== undefined ? [`PASSWORD ${literal(password)}`] : []),
  ];
  return {
    role: [`CREATE ROLE ${ident(role)} ${attributes.join(" ")}`, `ALTER ROLE ${ident(role)} SET statement_timeout = ${r.statementTimeout}`],
    memberships: p.memberOf.map((m) => `GRANT ${ident(m)} TO ${ident(role)}`),
    grants: p.grants.map((g) => grantSql(role, g)),
  };
}

/** One `GRANT` statement for an `ObjectGrant`. */
export function grantSql(role: string, g: ObjectGrant): string {
  const privileges = g.privileges.join(", ");
  switch (g.objectType) {
    case "database":
      return `GRANT ${privileges} ON DATABASE ${ident(g.database)} TO ${ident(role)}`;
    case "schema":
      return `GRANT ${privileges} ON SCHEMA ${ident(requireSchema(g))} TO ${ident(role)}`;
    case "table": {
      const schema = ident(requireSchema(g));
      const on = g.objects && g.objects.length > 0 ? `TABLE ${g.objects.map((o) => `${schema}.${ident(o)}`).join(", ")}` : `ALL TABLES IN SCHEMA ${schema}`;
      return `GRANT ${privileges} ON ${on} TO ${ident(role)}`;
    }
  }
}

function requireSchema(g: ObjectGrant): string {
  if (!g.schema) throw new Error(`a ${g.objectType} grant needs a schema`);
  return g.schema;
}

// ---------------------------------------------------------------------------------------------------------------
// The collector file
// ---------------------------------------------------------------------------------------------------------------

/** monitoring/timescaledb-collector.yml. */
export const COLLECTOR_FILE = path.join(__dirname, "..", "..", "monitoring", "timescaledb-collector.yml");

/** The prefix of every metric of the collector. */
export const METRIC_PREFIX = "timescaledb_";

export interface CollectorMetric {
  readonly metric_name: string;
  readonly type: "gauge" | "counter";
  readonly help: string;
  readonly key_labels?: readonly string[];
  readonly static_labels?: Readonly<Record<string, string>>;
  readonly value_label?: string;
  readonly values?: readonly string[];
  readonly static_value?: number;
  readonly timestamp_value?: string;
  readonly query?: string;
  readonly query_ref?: string;
  readonly no_prepared_statement?: boolean;
}

export interface CollectorQuery {
  readonly query_name: string;
  readonly query: string;
  readonly no_prepared_statement?: boolean;
}

export interface Collector {
  readonly collector_name: string;
  readonly min_interval?: string;
  readonly metrics: readonly CollectorMetric[];
  readonly queries?: readonly CollectorQuery[];
}

/** A query as sql_exporter runs it: its SQL, the metrics it populates and the columns they read. */
export interface MetricQuery {
  /** The query_name, or the metric name for a literal query (sql_exporter names it so). */
  readonly name: string;
  readonly sql: string;
  readonly metrics: readonly CollectorMetric[];
  /** Every key_labels and values column of its metrics, in first-use order. */
  readonly columns: readonly string[];
}

const COLLECTOR_KEYS = ["collector_name", "min_interval", "metrics", "queries"];
const METRIC_KEYS = ["metric_name", "type", "help", "key_labels", "static_labels", "value_label", "values", "query", "query_ref", "no_prepared_statement", "static_value", "timestamp_value"];
const QUERY_KEYS = ["query_name", "query", "no_prepared_statement"];
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Parses a collector file and checks it as sql_exporter does when loading it (unknown keys, required fields, exactly
 * one of query and query_ref, resolvable query_ref, values or static_value, value_label with several values, valid and
 * unique labels, no column used both as label and value in one query), plus this project's conventions: one
 * collector named `timescaledb`, unique metric names prefixed `timescaledb_`, counters and only counters ending in
 * `_total`, every named query used. Throws one error listing every problem.
 */
export function parseCollector(text: string, source = "collector file"): Collector {
  const doc = yaml.load(text);
  const problems: string[] = [];
  if (!isRecord(doc)) throw new Error(`${source}: not a YAML mapping`);
  unknownKeys(doc, COLLECTOR_KEYS, "collector", problems);
  if (doc.collector_name !== "timescaledb") problems.push(`collector_name must be "timescaledb", got ${JSON.stringify(doc.collector_name)}`);
  const metrics = Array.isArray(doc.metrics) ? doc.metrics : [];
  if (metrics.length === 0) problems.push("no metrics defined");
  const queries = doc.queries === undefined ? [] : Array.isArray(doc.queries) ? doc.queries : (problems.push("queries must be a list"), []);

  const queryNames = new Set<string>();
  for (const [i, q] of queries.entries()) {
    if (!isRecord(q)) {
      problems.push(`queries[${i}] is not a mapping`);
      continue;
    }
    unknownKeys(q, QUERY_KEYS, `query ${String(q.query_name ?? i)}`, problems);
    if (typeof q.query_name !== "string" || q.query_name === "") problems.push(`queries[${i}]: missing query_name`);
    else if (queryNames.has(q.query_name)) problems.push(`duplicate query_name ${q.query_name}`);
    else queryNames.add(q.query_name);
    if (typeof q.query !== "string" || q.query.trim() === "") problems.push(`query ${String(q.query_name)}: missing query`);
  }

  const metricNames = new Set<string>();
  const usedQueries = new Set<string>();
  for (const [i, m] of metrics.entries()) {
    if (!isRecord(m)) {
      problems.push(`metrics[${i}] is not a mapping`);
      continue;
    }
    const name = typeof m.metric_name === "string" ? m.metric_name : "";
    const where = `metric ${name || `#${i}`}`;
    unknownKeys(m, METRIC_KEYS, where, problems);
    if (!name) problems.push(`metrics[${i}]: missing metric_name`);
    else {
      if (!METRIC_NAME.test(name)) problems.push(`${where}: not a valid Prometheus metric name`);
      if (!name.startsWith(METRIC_PREFIX)) problems.push(`${where}: must start with ${METRIC_PREFIX}`);
      if (metricNames.has(name)) problems.push(`${where}: defined twice`);
      metricNames.add(name);
    }
    if (m.type !== "gauge" && m.type !== "counter") problems.push(`${where}: type must be gauge or counter`);
    else if ((m.type === "counter") !== name.endsWith("_total")) problems.push(`${where}: counters, and only counters, end in _total`);
    if (typeof m.help !== "string" || m.help.trim() === "") problems.push(`${where}: missing help`);
    const hasQuery = typeof m.query === "string" && m.query.trim() !== "";
    const hasRef = typeof m.query_ref === "string" && m.query_ref !== "";
    if (hasQuery === hasRef) problems.push(`${where}: exactly one of query and query_ref must be specified`);
    if (hasRef) {
      if (!queryNames.has(m.query_ref as string)) problems.push(`${where}: unresolved query_ref ${String(m.query_ref)}`);
      usedQueries.add(m.query_ref as string);
    }
    const keyLabels = stringList(m.key_labels, `${where}: key_labels`, problems);
    const values = stringList(m.values, `${where}: values`, problems);
    const hasStatic = m.static_value !== undefined;
    if (hasStatic && typeof m.static_value !== "number") problems.push(`${where}: static_value must be a number`);
    if (values.length === 0 && !hasStatic) problems.push(`${where}: no values defined`);
    if (values.length > 0 && hasStatic) problems.push(`${where}: cannot have both static_value and values`);
    if (values.length > 1 && !m.value_label) problems.push(`${where}: value_label must be defined with several values`);
    if (m.value_label !== undefined && (typeof m.value_label !== "string" || !validLabel(m.value_label))) problems.push(`${where}: invalid value_label`);
    for (const [j, l] of keyLabels.entries()) {
      if (!validLabel(l)) problems.push(`${where}: invalid key label ${l}`);
      if (keyLabels.indexOf(l) !== j) problems.push(`${where}: duplicate key label ${l}`);
      if (l === m.value_label) problems.push(`${where}: ${l} is both a key label and the value_label`);
    }
    if (m.static_labels !== undefined) {
      if (!isRecord(m.static_labels)) problems.push(`${where}: static_labels must be a mapping`);
      else for (const [k, v] of Object.entries(m.static_labels)) {
        if (!validLabel(k) || typeof v !== "string") problems.push(`${where}: invalid static label ${k}`);
        if (keyLabels.includes(k)) problems.push(`${where}: ${k} is both a key label and a static label`);
      }
    }
  }
  for (const q of queryNames) if (!usedQueries.has(q)) problems.push(`query ${q} is used by no metric`);

  const collector = doc as unknown as Collector;
  if (problems.length === 0) {
    // sql_exporter refuses a query whose metrics use one column both as a label and as a value.
    for (const q of collectorQueries(collector)) {
      const labels = new Set(q.metrics.flatMap((m) => m.key_labels ?? []));
      for (const v of q.metrics.flatMap((m) => m.values ?? [])) if (labels.has(v)) problems.push(`query ${q.name}: column ${v} used both as key and value`);
    }
  }
  if (problems.length > 0) throw new Error(`${source}:\n  ${problems.join("\n  ")}`);
  return collector;
}

/** Reads and checks the collector file (monitoring/timescaledb-collector.yml by default). */
export function loadCollector(file: string = COLLECTOR_FILE): Collector {
  return parseCollector(fs.readFileSync(file, "utf8"), path.relative(process.cwd(), file) || file);
}

/** The queries sql_exporter runs for the collector: one per named query, one per metric with a literal query. */
export function collectorQueries(c: Collector): MetricQuery[] {
  const out: MetricQuery[] = [];
  for (const q of c.queries ?? []) {
    const metrics = c.metrics.filter((m) => m.query_ref === q.query_name);
    out.push({ name: q.query_name, sql: q.query, metrics, columns: columnsOf(metrics) });
  }
  for (const m of c.metrics) if (m.query !== undefined) out.push({ name: m.metric_name, sql: m.query, metrics: [m], columns: columnsOf([m]) });
  return out;
}

/** Every metric name the collector produces. */
export function collectorMetricNames(c: Collector): string[] {
  return c.metrics.map((m) => m.metric_name);
}

/** The labels a metric's series carry (key labels, value label, static labels), not counting the exporter's own. */
export function metricLabels(m: CollectorMetric): string[] {
  return [...(m.key_labels ?? []), ...(m.value_label ? [m.value_label] : []), ...Object.keys(m.static_labels ?? {})];
}

function columnsOf(metrics: readonly CollectorMetric[]): string[] {
  const columns: string[] = [];
  for (const m of metrics) for (const c of [...(m.key_labels ?? []), ...(m.values ?? [])]) if (!columns.includes(c)) columns.push(c);
  return columns;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** sql_exporter's checkLabel reserves `job` and `target` (its target label); Prometheus reserves `__` names. */
function validLabel(l: string): boolean {
  return LABEL_NAME.test(l) && !l.startsWith("__") && l !== "job" && l !== "target";
}

function unknownKeys(o: Record<string, unknown>, allowed: readonly string[], where: string, problems: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) problems.push(`${where}: unknown field ${k}`);
}

function stringList(v: unknown, where: string, problems: string[]): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    problems.push(`${where} must be a list of column names`);
    return [];
  }
  return v as string[];
}
