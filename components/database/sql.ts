/**
 * SQL for the table model, as pure functions: the statements that create a table, its indexes, hypertable,
 * compression settings and policies, and the plans that bring a live table or policy (read from the catalog by
 * `providers/live.ts`) to the model. Identifiers and literals are quoted with `pg`'s `escapeIdentifier` and
 * `escapeLiteral`; nothing here touches a database.
 *
 * These functions run inside the dynamic providers too (Pulumi serializes them with the providers), so they use no
 * module state beyond `pg` and the model's pure helpers.
 */
import { escapeIdentifier, escapeLiteral } from "pg";
import { canonicalType, isSerial, parseInterval, type ColumnSpec, type HypertableSpec, type IndexKeySpec, type IndexSpec, type TableSpec } from "./model";

export type PolicyKind = "compression" | "retention" | "reorder";
export const POLICY_KINDS: readonly PolicyKind[] = ["compression", "retention", "reorder"];

/** One TimescaleDB policy of a hypertable. */
export type PolicySpec =
  | { readonly kind: "compression"; readonly after: string }
  /** `allowDrop`: the stack opted in to dropping chunks that exist now (`tables.<table>.allowRetentionDrop`); absent otherwise. */
  | { readonly kind: "retention"; readonly after: string; readonly allowDrop?: boolean }
  | { readonly kind: "reorder"; readonly index: string };

/** The three policies every table of the model has: compression, retention, reorder. */
export function tablePolicies(t: TableSpec): PolicySpec[] {
  return [
    { kind: "compression", after: t.compressAfter },
    // allowDrop only when set, so existing stacks' policy inputs stay as they were (no diff).
    { kind: "retention", after: t.retention, ...(t.allowRetentionDrop === t.retention ? { allowDrop: true } : {}) },
    { kind: "reorder", index: t.reorderIndex },
  ];
}

/** `"name"`, always quoted (so reserved words such as `timestamp` and `name` are safe). */
export function ident(name: string): string {
  return escapeIdentifier(name);
}

/** `"schema"."table"`. */
export function qualified(schema: string, name: string): string {
  return `${escapeIdentifier(schema)}.${escapeIdentifier(name)}`;
}

/** `'text'`, quoted as a string literal. */
export function literal(value: string): string {
  return escapeLiteral(value);
}

/** `INTERVAL '7 days'` for a model interval; throws for text that is not interval syntax. */
export function intervalSql(text: string): string {
  const interval = parseInterval(text);
  if (!interval) throw new Error(`Not an interval: ${JSON.stringify(text)}`);
  return `INTERVAL ${escapeLiteral(interval.text)}`;
}

/** The model's type as written in DDL (`NUMERIC(20,2)`, `TIMESTAMPTZ`); throws for a type the model does not know. */
export function typeSql(type: string): string {
  if (!canonicalType(type)) throw new Error(`Unknown column type: ${JSON.stringify(type)}`);
  return type.trim().replace(/\s+/g, " ").replace(/\s*\(\s*/, "(").replace(/\s*,\s*/, ",").replace(/\s*\)/, ")").toUpperCase();
}

export function columnSql(c: ColumnSpec): string {
  return `${ident(c.name)} ${typeSql(c.type)}${c.nullable ? "" : " NOT NULL"}${c.default !== undefined ? ` DEFAULT ${c.default}` : ""}`;
}

function keysSql(keys: readonly IndexKeySpec[]): string {
  return keys.map((k) => `${ident(k.column)}${k.desc ? " DESC" : ""}`).join(", ");
}

export function createExtensionSql(): string {
  return "CREATE EXTENSION IF NOT EXISTS timescaledb";
}

export function createSchemaSql(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`;
}

export function createTableSql(schema: string, t: HypertableSpec): string {
  const lines = [...t.columns.map(columnSql), `PRIMARY KEY (${t.primaryKey.map(ident).join(", ")})`];
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, t.name)} (\n  ${lines.join(",\n  ")}\n)`;
}

export function createIndexSql(schema: string, t: HypertableSpec, idx: IndexSpec, ifNotExists = true): string {
  return `CREATE ${idx.unique ? "UNIQUE " : ""}INDEX ${ifNotExists ? "IF NOT EXISTS " : ""}${ident(idx.name)} ON ${qualified(schema, t.name)} (${keysSql(idx.columns)})`;
}

/** `create_hypertable` on the time column with the model's chunk interval; `migrateData` for a table with rows. */
export function createHypertableSql(schema: string, t: HypertableSpec, migrateData = false): string {
  return (
    `SELECT create_hypertable(${literal(qualified(schema, t.name))}, ${literal(t.timeColumn)}, ` +
    `chunk_time_interval => ${intervalSql(t.chunkInterval)}, if_not_exists => TRUE, create_default_indexes => FALSE` +
    `${migrateData ? ", migrate_data => TRUE" : ""})`
  );
}

export function chunkIntervalSql(schema: string, t: HypertableSpec): string {
  return `SELECT set_chunk_time_interval(${literal(qualified(schema, t.name))}, ${intervalSql(t.chunkInterval)})`;
}

/** Turns compression on with the model's segmentby/orderby (also how changed settings are applied). */
export function compressionSql(schema: string, t: HypertableSpec): string {
  const segmentBy = t.compression.segmentBy.map(ident).join(", ");
  return (
    `ALTER TABLE ${qualified(schema, t.name)} SET (timescaledb.compress, ` +
    `timescaledb.compress_segmentby = ${literal(segmentBy)}, timescaledb.compress_orderby = ${literal(keysSql(t.compression.orderBy))})`
  );
}

export function addColumnSql(schema: string, t: HypertableSpec, c: ColumnSpec): string {
  return `ALTER TABLE ${qualified(schema, t.name)} ADD COLUMN IF NOT EXISTS ${columnSql(c)}`;
}

export function dropNotNullSql(schema: string, t: HypertableSpec, column: string): string {
  return `ALTER TABLE ${qualified(schema, t.name)} ALTER COLUMN ${ident(column)} DROP NOT NULL`;
}

export function dropTableSql(schema: string, table: string): string {
  return `DROP TABLE IF EXISTS ${qualified(schema, table)}`;
}

export function addPolicySql(schema: string, table: string, p: PolicySpec): string {
  const rel = literal(qualified(schema, table));
  switch (p.kind) {
    case "compression":
      return `SELECT add_compression_policy(${rel}, compress_after => ${intervalSql(p.after)}, if_not_exists => TRUE)`;
    case "retention":
      return `SELECT add_retention_policy(${rel}, drop_after => ${intervalSql(p.after)}, if_not_exists => TRUE)`;
    case "reorder":
      return `SELECT add_reorder_policy(${rel}, ${literal(p.index)}, if_not_exists => TRUE)`;
  }
}

/** The key in a policy job's config that the model sets. */
export function policyConfigKey(kind: PolicyKind): string {
  return kind === "compression" ? "compress_after" : kind === "retention" ? "drop_after" : "index_name";
}

/** Changes the setting of an existing policy job in place (`alter_job`), keeping its id and schedule. */
export function alterPolicySql(jobId: number, p: PolicySpec): string {
  if (!Number.isSafeInteger(jobId)) throw new Error(`Not a job id: ${jobId}`);
  const value = p.kind === "reorder" ? p.index : parseInterval(p.after)?.text;
  if (value === undefined) throw new Error(`Not an interval: ${JSON.stringify((p as { after: string }).after)}`);
  return (
    `SELECT alter_job(j.job_id, config => jsonb_set(j.config, ${literal(`{${policyConfigKey(p.kind)}}`)}, to_jsonb(${literal(value)}::text))) ` +
    `FROM timescaledb_information.jobs j WHERE j.job_id = ${jobId}`
  );
}

export function removePolicySql(schema: string, table: string, kind: PolicyKind): string {
  return `SELECT remove_${kind}_policy(${literal(qualified(schema, table))}, if_exists => TRUE)`;
}

/** Everything a fresh table needs, in order: table, indexes, hypertable, compression settings. */
export function tableSql(schema: string, t: HypertableSpec): string[] {
  return [
    createTableSql(schema, t),
    ...t.indexes.map((idx) => createIndexSql(schema, t, idx)),
    createHypertableSql(schema, t),
    compressionSql(schema, t),
  ];
}

/** The whole model on an empty database: extension, schema, and per table its DDL and its three policies. */
export function modelSql(schema: string, tables: readonly TableSpec[]): string[] {
  return [
    createExtensionSql(),
    createSchemaSql(schema),
    ...tables.flatMap((t) => [...tableSql(schema, t), ...tablePolicies(t).map((p) => addPolicySql(schema, t.name, p))]),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Live state (read from the catalog) and plans from it to the model.

export interface LiveColumn {
  readonly name: string;
  /** As `format_type` reports it: `bigint`, `numeric(20,2)`, `timestamp with time zone`. */
  readonly type: string;
  readonly notNull: boolean;
}

export interface LiveIndex {
  readonly name: string;
  /** Undefined for an expression index. */
  readonly columns?: readonly IndexKeySpec[];
  readonly unique: boolean;
  readonly primary: boolean;
}

export interface LiveTable {
  /** `pg_class.relkind`: `r` for a table. */
  readonly relkind: string;
  readonly columns: readonly LiveColumn[];
  readonly primaryKey?: readonly string[];
  readonly indexes: readonly LiveIndex[];
  readonly hypertable?: { readonly timeColumn: string; readonly chunkIntervalSeconds?: number };
  readonly compression?: { readonly segmentBy: readonly string[]; readonly orderBy: readonly IndexKeySpec[] };
}

export interface LivePolicy {
  readonly jobId: number;
  /** compress_after / drop_after in seconds. */
  readonly afterSeconds?: number;
  /** The reorder policy's index. */
  readonly index?: string;
}

export interface TablePlan {
  /** Statements that bring the live table to the model, in order; empty when it already matches. */
  readonly statements: string[];
  /** Changes the model implies that are never made automatically (drop, rename, retype...), with how to migrate. */
  readonly refusals: string[];
}

const sameKeys = (a: readonly IndexKeySpec[], b: readonly IndexKeySpec[]): boolean =>
  a.length === b.length && a.every((k, i) => k.column === b[i].column && !!k.desc === !!b[i].desc);

/**
 * The plan from a live table (or none) to the model. Additive changes (new nullable or defaulted column, new index,
 * a NOT NULL dropped, chunk interval, compression settings, converting a plain table to a hypertable) are statements;
 * destructive ones (a column dropped, renamed or retyped, a stricter NOT NULL, another key, time column or index
 * definition) are refusals that say how to migrate by hand.
 */
export function planTable(schema: string, t: HypertableSpec, live: LiveTable | undefined): TablePlan {
  if (!live) return { statements: tableSql(schema, t), refusals: [] };
  const q = qualified(schema, t.name);
  const name = `${schema}.${t.name}`;
  const statements: string[] = [];
  const refusals: string[] = [];
  if (live.relkind !== "r" && live.relkind !== "p") {
    return { statements, refusals: [`${name} exists but is not a table (relkind ${live.relkind}); drop or rename it, then run again.`] };
  }
  const liveColumns = new Map(live.columns.map((c) => [c.name, c]));
  const modelColumns = new Map(t.columns.map((c) => [c.name, c]));
  const missing = t.columns.filter((c) => !liveColumns.has(c.name));
  const extra = live.columns.filter((c) => !modelColumns.has(c.name));
  const decompress = `(on a hypertable with compressed chunks, decompress them first: SELECT decompress_chunk(c, true) FROM show_chunks(${literal(q)}) c)`;

  for (const c of extra) {
    const renamed = missing.length === 1 ? ident(missing[0].name) : "<new name>";
    refusals.push(
      `${name}: column ${c.name} (${c.type}) is in the database but not in the model; dropping or renaming a column is never done automatically. ` +
        (missing.length > 0 ? `If it was renamed to ${missing.map((m) => m.name).join(" or ")}, run ALTER TABLE ${q} RENAME COLUMN ${ident(c.name)} TO ${renamed}; to` : "To") +
        ` drop it, run ALTER TABLE ${q} DROP COLUMN ${ident(c.name)} ${decompress}; or add the column back to the model. Then run again.`,
    );
  }
  for (const c of t.columns) {
    const l = liveColumns.get(c.name);
    if (!l) continue;
    const want = canonicalType(c.type);
    if (want !== l.type) {
      refusals.push(
        `${name}: column ${c.name} is ${l.type} in the database but ${want} in the model; a column's type is never changed automatically. ` +
          `To migrate, run ALTER TABLE ${q} ALTER COLUMN ${ident(c.name)} TYPE ${typeSql(c.type)} USING ${ident(c.name)}::${typeSql(c.type)} ${decompress}, ` +
          `or keep ${l.type} in the model. Then run again.`,
      );
    }
    if (c.nullable && l.notNull && !t.primaryKey.includes(c.name)) statements.push(dropNotNullSql(schema, t, c.name));
    if (!c.nullable && !l.notNull) {
      refusals.push(
        `${name}: column ${c.name} allows NULL in the database but is NOT NULL in the model; NOT NULL is never added automatically. ` +
          `Fill the NULLs, run ALTER TABLE ${q} ALTER COLUMN ${ident(c.name)} SET NOT NULL, then run again; or mark it nullable in the model.`,
      );
    }
  }
  for (const c of missing) {
    if (!c.nullable && c.default === undefined && !isSerial(c.type)) {
      refusals.push(
        `${name}: new column ${c.name} is NOT NULL without a default, which existing rows cannot satisfy; ` +
          `give it a default or make it nullable in the model, then run again.`,
      );
    } else {
      statements.push(addColumnSql(schema, t, c));
    }
  }
  const livePk = live.primaryKey ?? [];
  if (livePk.join(",") !== t.primaryKey.join(",")) {
    refusals.push(
      `${name}: the primary key is (${livePk.join(", ") || "none"}) in the database but (${t.primaryKey.join(", ")}) in the model; ` +
        `a key is never changed automatically. Change it by hand (ALTER TABLE ${q} DROP CONSTRAINT ..., ADD PRIMARY KEY (...)) or keep the model's key as it is, then run again.`,
    );
  }
  if (!live.hypertable) {
    statements.push(createHypertableSql(schema, t, true));
  } else if (live.hypertable.timeColumn !== t.timeColumn) {
    refusals.push(
      `${name}: the hypertable is partitioned on ${live.hypertable.timeColumn} in the database but on ${t.timeColumn} in the model; ` +
        `a hypertable's time column cannot change. Create a new table, copy the rows over (INSERT ... SELECT), then swap the names by hand.`,
    );
  } else if (live.hypertable.chunkIntervalSeconds !== parseInterval(t.chunkInterval)?.seconds) {
    statements.push(chunkIntervalSql(schema, t));
  }
  const liveIndexes = new Map(live.indexes.map((i) => [i.name, i]));
  for (const idx of t.indexes) {
    const l = liveIndexes.get(idx.name);
    if (!l) {
      statements.push(createIndexSql(schema, t, idx, false));
    } else if (!l.columns || !sameKeys(l.columns, idx.columns) || l.unique !== !!idx.unique) {
      const liveDef = l.columns ? `(${keysSql(l.columns)})` : "an expression";
      refusals.push(
        `${name}: index ${idx.name} is on ${liveDef}${l.unique ? " (unique)" : ""} in the database but on (${keysSql(idx.columns)})${idx.unique ? " (unique)" : ""} in the model; ` +
          `an index definition is never changed automatically. Run DROP INDEX ${qualified(schema, idx.name)}, then run again to create it as modelled.`,
      );
    }
  }
  const liveCompression = live.compression;
  if (
    !liveCompression ||
    liveCompression.segmentBy.join(",") !== t.compression.segmentBy.join(",") ||
    !sameKeys(liveCompression.orderBy, t.compression.orderBy)
  ) {
    statements.push(compressionSql(schema, t));
  }
  return { statements: refusals.length > 0 ? [] : statements, refusals };
}

/** The plan from a live policy job (or none) to the model: add it, change its setting in place, or nothing. */
export function planPolicy(schema: string, table: string, p: PolicySpec, live: LivePolicy | undefined): string[] {
  if (!live) return [addPolicySql(schema, table, p)];
  const same = p.kind === "reorder" ? live.index === p.index : live.afterSeconds === parseInterval(p.after)?.seconds;
  return same ? [] : [alterPolicySql(live.jobId, p)];
}

/**
 * Parses TimescaleDB's rendering of compression columns (`"timestamp" DESC,id DESC`, `name`, ``) into keys.
 * Quoted identifiers may contain commas and doubled quotes.
 */
export function parseCompressionColumns(text: string | null | undefined): IndexKeySpec[] {
  const out: IndexKeySpec[] = [];
  const s = text ?? "";
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /[\s,]/.test(s[i])) i++;
    if (i >= s.length) break;
    let column = "";
    if (s[i] === '"') {
      i++;
      while (i < s.length) {
        if (s[i] === '"' && s[i + 1] === '"') {
          column += '"';
          i += 2;
        } else if (s[i] === '"') {
          i++;
          break;
        } else {
          column += s[i++];
        }
      }
    } else {
      while (i < s.length && !/[\s,]/.test(s[i])) column += s[i++];
    }
    let rest = "";
    while (i < s.length && s[i] !== ",") rest += s[i++];
    out.push(/\bdesc\b/i.test(rest) ? { column, desc: true } : { column });
  }
  return out;
}
