/**
 * Scaled storage (issue #11): a table whose NUMERIC(p,s) columns are stored as integers holding value × 10^s
 * (INTEGER when p <= 9, else BIGINT), so TimescaleDB compresses them with its integer delta codecs (it has none for
 * NUMERIC; scripts/bench-storage.ts measures the difference), behind a view that keeps the seed's table name, column
 * names, NUMERIC(p,s) types and column order. The collector and analysts keep their SQL; only the storage changes.
 * Pure functions, no database access: they also run inside the dynamic providers.
 *
 * Objects of a table `t` in schema `s` (all in `s`; `t` is at most 55 characters, so every name fits 63):
 *   t_id_seq    the seed's sequence name (grants target `sequenceNames`), OWNED BY t_scaled.id;
 *   t_scaled    the physical hypertable: the model's chunk interval, primary key, indexes (the model's names: index
 *               names are per schema and a view has none, so the reorder policy finds its index by the same name) and
 *               compression settings; the caller attaches the policies to it;
 *   t           the view: every column in the model's order and type, `(x * 0.01)::NUMERIC(20,2)` for a scaled one;
 *               its serial columns default to nextval like the seed's table, so INSERTs without id get one;
 *   t_scale     SQL function (inlined by the planner): value × 10^s as an integer, or t_reject;
 *   t_reject    raises the "does not fit scaled storage" error (SQLSTATE 22003, as numeric's own overflow);
 *   rule scaled_insert on t    DO INSTEAD INSERT INTO t_scaled ... RETURNING <the view's columns>: every INSERT;
 *   t_insert + trigger scaled_insert on t    INSTEAD OF INSERT, SECURITY DEFINER: what COPY ... FROM uses.
 *
 * Why a rule for INSERT and a trigger only for COPY (measured on the embedded engine, 20,000-row INSERT ... SELECT):
 * a row-level INSTEAD OF trigger runs one plpgsql call and one executor start per row, 705 ms against 129 ms for the
 * same rows into the NUMERIC table (18 % of the rate); the rule rewrites the statement into one set-based INSERT
 * into the hypertable, about 140 ms against 110 ms (79 %: the conversions and range checks). Through the collector's
 * multi-row INSERTs with bind parameters, where parsing and binding dominate, the view takes 92-96 % of the NUMERIC
 * table's rate (scripts/bench-storage.ts; 89-90 % on native PostgreSQL 15 without TimescaleDB). COPY into a view
 * needs an INSTEAD OF INSERT trigger (rules do not apply to COPY); the rule wins for INSERT (the rewriter runs first),
 * so the trigger fires for COPY only. Both produce the same rows through the same `t_scale` calls.
 *
 * Semantics, as verified on PostgreSQL 17 + TimescaleDB 2.23 (test/database/scaled.test.ts; COPY, which crashes the
 * embedded engine, on PostgreSQL 15 without TimescaleDB):
 * - What is written is what a NUMERIC(p,s) column stores: INSERT coerces every value to the view column's type
 *   including its typmod before the rule applies (and COPY applies the view's defaults and runs each column's input
 *   function with its typmod before the trigger), so PostgreSQL itself
 *   rounds half away from zero to s digits and rejects too many digits with its own "numeric field overflow" error.
 *   `(v * 10^s)::bigint` is then exact.
 * - A value whose scaled integer does not fit the integer type (|v| > 92233720368547758.07 for NUMERIC(20,2); only
 *   possible when p >= 19) and NaN (NUMERIC accepts it, integers cannot hold it) fail with SQLSTATE 22003 and a message
 *   naming the table and column; nothing wraps or rounds further.
 * - NULL stays NULL; a NOT NULL column rejects NULL through the physical table's constraint (23502, naming the column
 *   and, as for any hypertable, the chunk).
 * - Each NEW value occurs once in the rule (a rule substitutes the INSERT's expressions for NEW, so a volatile
 *   expression referenced twice would be evaluated twice); `t_scale` uses its argument three times, and the planner
 *   inlines it only when the argument is not volatile, calling it otherwise, so each value is evaluated once.
 * - Privileges: the rule runs with the view owner's rights on t_scaled and the trigger function is SECURITY DEFINER,
 *   so a writer needs INSERT on the view (SELECT too for RETURNING) and USAGE on the sequence (the id default is
 *   evaluated as the caller, as for the seed's table), never a right on t_scaled; a reader needs SELECT on the view.
 *   t_scale and t_reject run as the caller and are granted EXECUTE to PUBLIC explicitly (in case default privileges
 *   revoke it); they compute or raise, nothing else.
 * - Differences from a plain table: INSERT ... ON CONFLICT is refused on a view with an INSERT rule; UPDATE of a scaled
 *   column is refused (DELETE, and UPDATE of the other columns, go through the view as through any simple view).
 *   NaN is refused (above). Reads compute each scaled value per reference (an aggregate over a scaled column costs a
 *   NUMERIC multiplication per row; measured +23 % on native PostgreSQL, about x2 on the embedded WebAssembly engine),
 *   and a predicate on a scaled column cannot use an index on the physical column.
 */
import { canonicalType, isIdentifier, isSerial, type ColumnSpec, type HypertableSpec } from "./model";
import { compressionSql, createHypertableSql, createIndexSql, createTableSql, ident, literal, qualified, typeSql } from "./sql";

/** The physical table of a scaled table: `<table>_scaled`, in the same schema. */
export function storageTableName(table: string): string {
  return `${table}_scaled`;
}

/** The names of every object scaled storage creates for `table` (all in the table's schema). */
export interface ScaledStorageNames {
  /** The view: the table's own name. */
  readonly view: string;
  /** The physical hypertable, `<table>_scaled`. */
  readonly table: string;
  /** `<table>_scale(numeric, numeric, numeric, numeric, text)`: a value as its scaled integer. */
  readonly scaleFunction: string;
  /** `<table>_reject(text, numeric, numeric, numeric)`: raises the out-of-range error. */
  readonly rejectFunction: string;
  /** `<table>_insert()`: the INSTEAD OF INSERT trigger function (COPY). */
  readonly insertFunction: string;
  /** The rule and the trigger on the view (names are per relation). */
  readonly rule: string;
  readonly trigger: string;
}

export function scaledStorageNames(table: string): ScaledStorageNames {
  return {
    view: table,
    table: storageTableName(table),
    scaleFunction: `${table}_scale`,
    rejectFunction: `${table}_reject`,
    insertFunction: `${table}_insert`,
    rule: "scaled_insert",
    trigger: "scaled_insert",
  };
}

/** Precision and scale of a `NUMERIC(p,s)` / `DECIMAL(p)` type; undefined for any other type (or unconstrained NUMERIC). */
export function numericTypmod(type: string): { precision: number; scale: number } | undefined {
  const m = /^numeric\((\d+)(?:,(\d+))?\)$/.exec(canonicalType(type) ?? "");
  if (!m) return undefined;
  return { precision: Number(m[1]), scale: m[2] === undefined ? 0 : Number(m[2]) };
}

/** Whether scaled storage stores the column as an integer: a NUMERIC with a declared precision (and scale). */
export function isScalable(column: ColumnSpec): boolean {
  return numericTypmod(column.type) !== undefined;
}

/** How a column is stored in scaled storage. */
export interface ScaledColumn {
  readonly name: string;
  /** The physical column's type: INTEGER or BIGINT for a scaled column, BIGINT/INTEGER for a serial, else the model's. */
  readonly type: string;
  /** s of a scaled NUMERIC(p,s): the column holds value × 10^s. Undefined for a column stored as the model has it. */
  readonly scale?: number;
  /** p of a scaled NUMERIC(p,s). */
  readonly precision?: number;
  /** The view column's type, as in DDL: the model's (`NUMERIC(20,2)`), BIGINT/INTEGER for a serial. */
  readonly viewType: string;
  readonly nullable: boolean;
  /** The sequence of a serial column (`<table>_<column>_seq`, as PostgreSQL names a serial's). */
  readonly sequence?: string;
}

/** The table's columns in order, each with its physical type and scale. */
export function scaledColumns(table: HypertableSpec): ScaledColumn[] {
  return table.columns.map((c): ScaledColumn => {
    const nullable = !!c.nullable;
    if (isSerial(c.type)) {
      const type = /^\s*bigserial\s*$/i.test(c.type) ? "BIGINT" : "INTEGER";
      return { name: c.name, type, viewType: type, nullable: false, sequence: `${table.name}_${c.name}_seq` };
    }
    const typmod = numericTypmod(c.type);
    if (!typmod) return { name: c.name, type: typeSql(c.type), viewType: typeSql(c.type), nullable };
    return { name: c.name, type: integerType(typmod.precision), scale: typmod.scale, precision: typmod.precision, viewType: typeSql(c.type), nullable };
  });
}

/** |value × 10^s| < 10^p, so p <= 9 always fits INTEGER (max 2147483647); BIGINT holds any p <= 18 and most of 19+. */
function integerType(precision: number): "INTEGER" | "BIGINT" {
  return precision <= 9 ? "INTEGER" : "BIGINT";
}

/** `digits` (an optionally signed integer) × 10^-scale as exact decimal text: ("-9223372036854775808", 2) -> "-92233720368547758.08". */
export function shiftDecimal(digits: string, scale: number): string {
  const m = /^(-?)(\d+)$/.exec(digits);
  if (!m || !Number.isInteger(scale) || scale < 0) throw new Error(`Not an integer and scale: ${digits}, ${scale}`);
  if (scale === 0) return digits;
  const padded = m[2].padStart(scale + 1, "0");
  return `${m[1]}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** 10^-s as a decimal literal (`0.01`), 1 for s = 0. */
function unitLiteral(scale: number): string {
  return shiftDecimal("1", scale);
}

/** 10^s as an integer literal (`100`). */
function factorLiteral(scale: number): string {
  return `1${"0".repeat(scale)}`;
}

/**
 * The view's expression for a stored column: the integer back as NUMERIC(p,s), exact (bigint × 0.01 is computed with
 * scale 2, no rounding) and typed with the column's typmod so `format_type` reports `numeric(20,2)`. It is the
 * cheapest exact form found. Embedded engine (200,000 rows, max+min): `(x * 0.01)::numeric(20,2)` 88 ms,
 * `(x::numeric / 100)::numeric(20,2)` 97-101 ms, `x * 0.01` without the cast 81 ms (but a bare `numeric` column).
 * Native TimescaleDB 2.23 on PostgreSQL 15 (864,000 compressed rows, max): this 62 ms, `/ 100` 62 ms, the NUMERIC
 * table 47 ms, `x::numeric` alone 30 ms: the decimal shift is what costs, and reads through the view pay it once per
 * reference and row (docs/storage.md).
 */
function readSql(c: ScaledColumn, source: string): string {
  if (c.scale === undefined) return source;
  return c.scale === 0 ? `${source}::${c.viewType}` : `(${source} * ${unitLiteral(c.scale)})::${c.viewType}`;
}

/**
 * A stored integer (or an aggregate of stored integers, e.g. `max(x)`) as the column's NUMERIC(p,s), with the view's
 * own expression: what candles (candles.ts) use to convert once per bucket row.
 */
export function scaledValueSql(c: ScaledColumn, expression: string): string {
  return readSql(c, expression);
}

/** The rule's and the trigger's expression for a view value (`NEW.x`) as the stored integer. */
function writeSql(schema: string, table: string, c: ScaledColumn, value: string): string {
  if (c.scale === undefined) return value;
  const limits = c.type === "BIGINT" ? { min: "-9223372036854775808", max: "9223372036854775807" } : { min: "-2147483648", max: "2147483647" };
  const call =
    `${qualified(schema, scaledStorageNames(table).scaleFunction)}(${value}, ${factorLiteral(c.scale)}, ` +
    `${shiftDecimal(limits.min, c.scale)}, ${shiftDecimal(limits.max, c.scale)}, ${literal(c.name)})`;
  return c.type === "BIGINT" ? call : `${call}::INTEGER`;
}

/**
 * The physical table as a model table (`<table>_scaled`: scaled columns as INTEGER/BIGINT, serials as BIGINT/INTEGER
 * with the seed's sequence as default; key, chunk interval, indexes and compression as the model's), e.g. for
 * `planTable`/`planLiveTable` to compare the live physical table with the model.
 */
export function scaledStorageSpec(schema: string, t: HypertableSpec): HypertableSpec {
  const columns = scaledColumns(t).map((c, i): ColumnSpec => {
    const model = t.columns[i];
    if (c.sequence) return { name: c.name, type: c.type, default: nextvalSql(schema, c.sequence) };
    if (model.default === undefined || c.scale === undefined) return { ...model, type: c.type };
    // Only direct inserts into the physical table see this default (the view has the model's own).
    return { ...model, type: c.type, default: `((${model.default})::${c.viewType} * ${factorLiteral(c.scale)})::${c.type}` };
  });
  return { ...t, name: storageTableName(t.name), columns };
}

function nextvalSql(schema: string, sequence: string): string {
  return `nextval(${literal(qualified(schema, sequence))}::regclass)`;
}

function checkNames(schema: string, table: string): void {
  const longest = [storageTableName(table), `${table}_reject`, `${table}_insert`];
  if (!isIdentifier(schema) || !isIdentifier(table) || longest.some((n) => !isIdentifier(n))) {
    throw new Error(`Scaled storage needs a schema and a table name that are plain identifiers with room for "_scaled" (at most 55 characters): got ${schema}.${table}`);
  }
}

/** `$tag$body$tag$`, refusing a body that contains the tag. */
function dollarQuoted(body: string, tag = "scaled"): string {
  if (body.includes(`$${tag}$`)) throw new Error(`Function body contains its quote tag $${tag}$`);
  return `$${tag}$${body}$${tag}$`;
}

/**
 * The statements that create the scaled storage of `t` in `schema`, in order, each idempotent (IF NOT EXISTS, OR
 * REPLACE, if_not_exists): sequences, physical table, its indexes, hypertable, compression settings, the two value
 * functions, the view and its defaults, the COPY trigger function and trigger, and the INSERT rule. Policies are the
 * caller's: attach them to `storageTableName(t.name)` (`addPolicySql`). Fails at the view on a schema where `t` is
 * still a table ("is not a view"): converting a NUMERIC table is a migration, not this.
 *
 * Re-running after chunks were compressed is fine as long as the compression settings are unchanged.
 */
export function createScaledStorageSql(schema: string, t: HypertableSpec): string[] {
  const { storage, view } = scaledStorageParts(schema, t);
  return [...storage, ...view];
}

/**
 * `createScaledStorageSql` in its two halves: `storage`, the sequences and the physical hypertable; `view`, the
 * functions, the view, its defaults, trigger and rule (all CREATE OR REPLACE), which the hypertable provider re-runs
 * when the view side differs from the model (providers/live.ts).
 */
export function scaledStorageParts(schema: string, t: HypertableSpec): { storage: string[]; view: string[] } {
  checkNames(schema, t.name);
  const names = scaledStorageNames(t.name);
  const columns = scaledColumns(t);
  const physical = scaledStorageSpec(schema, t);
  const physicalName = qualified(schema, names.table);
  const view = qualified(schema, names.view);
  const scaleFn = qualified(schema, names.scaleFunction);
  const rejectFn = qualified(schema, names.rejectFunction);
  const insertFn = qualified(schema, names.insertFunction);
  const columnList = columns.map((c) => ident(c.name)).join(", ");
  const relation = `${schema}.${t.name}`;

  const sequences = columns.flatMap((c) => (c.sequence ? [`CREATE SEQUENCE IF NOT EXISTS ${qualified(schema, c.sequence)} AS ${c.type}`] : []));
  const owned = columns.flatMap((c) => (c.sequence ? [`ALTER SEQUENCE ${qualified(schema, c.sequence)} OWNED BY ${physicalName}.${ident(c.name)}`] : []));

  const reject =
    `CREATE OR REPLACE FUNCTION ${rejectFn}(column_name text, value numeric, low numeric, high numeric) RETURNS bigint\n` +
    `LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS ${dollarQuoted(`
BEGIN
  RAISE EXCEPTION USING
    ERRCODE = 'numeric_value_out_of_range',
    MESSAGE = format(${literal(`value %s of column %s of ${relation.replace(/%/g, "%%")} is out of range for its scaled storage`)}, value, column_name),
    DETAIL = format('Scaled storage keeps the column as an integer of value x 10^scale, which holds values from %s to %s (and no NaN).', low, high),
    HINT = 'Store this table with numeric storage to keep such values.',
    COLUMN = column_name,
    TABLE = ${literal(t.name)},
    SCHEMA = ${literal(schema)};
END
`)}`;

  // `RETURN expr` (an SQL-standard body) is parsed once, at creation, so the caller's search_path cannot change what
  // it calls, and the planner still inlines it. VOLATILE because it calls the (volatile) reject function: an
  // IMMUTABLE function may not be inlined when its body is volatile, and an immutable reject call with constant
  // arguments would be evaluated (and raise) while planning a CASE branch that is never taken. The range test comes
  // first (NULL fails it and falls through to the NULL branch): it is what every value pays. It costs about a fifth
  // of a set-based INSERT ... SELECT through the view (measured: 40,000 rows 255-265 ms with it, 213-218 ms without,
  // 213-226 ms into the NUMERIC table); without it an out-of-range value fails with PostgreSQL's bare "bigint out of
  // range" (also 22003), naming neither table nor column.
  const scale =
    `CREATE OR REPLACE FUNCTION ${scaleFn}(value numeric, factor numeric, low numeric, high numeric, column_name text) RETURNS bigint\n` +
    `LANGUAGE sql VOLATILE\n` +
    `RETURN CASE WHEN value BETWEEN low AND high THEN (value * factor)::bigint WHEN value IS NULL THEN NULL::bigint ` +
    `ELSE ${rejectFn}(column_name, value, low, high) END`;

  const viewSql =
    `CREATE OR REPLACE VIEW ${view} AS SELECT\n  ` +
    columns.map((c) => (c.scale === undefined ? ident(c.name) : `${readSql(c, ident(c.name))} AS ${ident(c.name)}`)).join(",\n  ") +
    `\nFROM ${physicalName}`;

  const defaults = columns.flatMap((c, i) => {
    const model = t.columns[i];
    const value = c.sequence ? nextvalSql(schema, c.sequence) : model.default;
    return value === undefined ? [] : [`ALTER VIEW ${view} ALTER COLUMN ${ident(c.name)} SET DEFAULT ${value}`];
  });

  const values = (row: string) => columns.map((c) => writeSql(schema, t.name, c, `${row}.${ident(c.name)}`)).join(", ");
  const insertFunction =
    `CREATE OR REPLACE FUNCTION ${insertFn}() RETURNS trigger\n` +
    `LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS ${dollarQuoted(`
BEGIN
  INSERT INTO ${physicalName} (${columnList})
  VALUES (${values("NEW")});
  RETURN NEW;
END
`)}`;

  const rule =
    `CREATE OR REPLACE RULE ${ident(names.rule)} AS ON INSERT TO ${view} DO INSTEAD\n` +
    `  INSERT INTO ${physicalName} AS s (${columnList})\n` +
    `  VALUES (${values("NEW")})\n` +
    `  RETURNING ${columns.map((c) => readSql(c, `s.${ident(c.name)}`)).join(", ")}`;

  const storage = [
    ...sequences,
    createTableSql(schema, physical),
    ...owned,
    ...physical.indexes.map((idx) => createIndexSql(schema, physical, idx)),
    createHypertableSql(schema, physical),
    compressionSql(schema, physical),
  ];
  const viewSide = [
    reject,
    scale,
    `GRANT EXECUTE ON FUNCTION ${rejectFn}(text, numeric, numeric, numeric), ${scaleFn}(numeric, numeric, numeric, numeric, text) TO PUBLIC`,
    viewSql,
    ...defaults,
    insertFunction,
    `REVOKE ALL ON FUNCTION ${insertFn}() FROM PUBLIC`,
    `CREATE OR REPLACE TRIGGER ${ident(names.trigger)} INSTEAD OF INSERT ON ${view} FOR EACH ROW EXECUTE FUNCTION ${insertFn}()`,
    rule,
  ];
  return { storage, view: viewSide };
}

/**
 * The statements that drop the scaled storage of `table` (for destroy with opt-in): the view (with its rule and
 * trigger), the functions, and the physical table with its chunks, rows and the sequence it owns. Refuses (errors)
 * where `table` is a table rather than a view, so it never drops a NUMERIC table of the same name.
 */
export function dropScaledStorageSql(schema: string, table: string): string[] {
  checkNames(schema, table);
  const names = scaledStorageNames(table);
  return [
    `DROP VIEW IF EXISTS ${qualified(schema, names.view)}`,
    `DROP FUNCTION IF EXISTS ${qualified(schema, names.insertFunction)}()`,
    `DROP FUNCTION IF EXISTS ${qualified(schema, names.scaleFunction)}(numeric, numeric, numeric, numeric, text)`,
    `DROP FUNCTION IF EXISTS ${qualified(schema, names.rejectFunction)}(text, numeric, numeric, numeric)`,
    `DROP TABLE IF EXISTS ${qualified(schema, names.table)}`,
  ];
}
