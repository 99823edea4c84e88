/**
 * Validates one `postgres -c name=value` flag by PostgreSQL's own rules, against the per-major setting data in
 * ./pg-settings-data.json (generated from real engines and TimescaleDB's source by scripts/generate-pg-settings.ts).
 * Pure and fast: no database, so `pulumi preview` can refuse a setting that would make the server exit FATAL at start
 * and the container restart-loop.
 *
 * What the postmaster does with `-c name=value` (PostgreSQL 15-17, src/backend/postmaster/postmaster.c
 * PostmasterMain → ParseLongOption, then SetConfigOption(name, value, PGC_POSTMASTER, PGC_S_ARGV) →
 * src/backend/utils/misc/guc.c set_config_option → parse_and_validate_value), and what is mirrored here:
 *   - Name: ParseLongOption turns "-" into "_"; find_option matches case-insensitively (guc_name_compare) and maps the
 *     old names in map_old_guc_names (sort_mem → work_mem, vacuum_mem → maintenance_work_mem). An unknown name without
 *     a "." is an error ("unrecognized configuration parameter"). A name with one is a placeholder for an extension's
 *     setting (find_option → add_placeholder_variable, if valid_custom_variable_name): accepted, see below.
 *   - Context: every context can be set on the postmaster's command line except PGC_INTERNAL ("parameter cannot be
 *     changed").
 *   - bool: parse_bool (src/backend/utils/adt/bool.c parse_bool_with_len): a case-insensitive prefix of true, false,
 *     yes, no (at least 1 character), on, off (at least 2), or exactly 1 or 0. No surrounding spaces.
 *   - integer: guc.c parse_int: strtol(value, 0) (so leading spaces, a sign, 0x hex and 0 octal), re-read with
 *     strtod when it stops at ".", "e" or "E" or overflows; NaN is refused; spaces may separate the number from a unit;
 *     the unit (only if the setting has one) goes through convert_to_base_unit; the result is rounded with rint (half
 *     to even) and must fit in an int ("Value exceeds integer range").
 *   - real: guc.c parse_real: strtod, then the same unit handling, without rounding.
 *   - units: guc.c convert_to_base_unit with memory_unit_conversion_table (B, kB, MB, GB, TB) and
 *     time_unit_conversion_table (us, ms, s, min, h, d); case-sensitive (strcmp), at most 3 characters, spaces after
 *     it allowed; a fractional value is rounded to a whole number of the next smaller unit ("1.5GB" → 1536MB, and in a
 *     setting measured in 8kB blocks "100kB" → 12.5 blocks → rint → 12).
 *   - range: after conversion to the setting's base unit, min_val <= value <= max_val (parse_and_validate_value).
 *   - enum: config_enum_lookup_by_name: case-insensitive (pg_strcasecmp), exact, including the hidden spellings
 *     pg_settings does not list (wal_level=hot_standby, synchronous_commit=true ...).
 *   - string: anything.
 *   - check hooks, only these (pure functions of the value, found by sweeping values through the engines):
 *     vacuum_buffer_usage_limit (16+, src/backend/commands/vacuum.c check_vacuum_buffer_usage_limit: 0 or 128kB ..
 *     16GB), the SLRU buffer settings (17, src/backend/access/transam/slru.c check_slru_buffers: a multiple of
 *     SLRU_BANK_SIZE 16) and bonjour=on (check_bonjour: the image's build has no Bonjour support).
 * Not mirrored: other check hooks (timezone names, shared_preload_libraries files, search_path syntax, role,
 * max_stack_depth against the stack rlimit ...) and checks across settings or against the data directory
 * (min_wal_size >= 2 WAL segments, max_wal_senders needs wal_level >= replica, max_connections + autovacuum_max_workers
 * + max_worker_processes + max_wal_senders <= 262143 ...): those still fail at start.
 *
 * Extension settings:
 *   - timescaledb.* (and timescaledb_telemetry.*) and plpgsql.*: the name must be one the data lists. PostgreSQL
 *     itself accepts any such name as a placeholder, and TimescaleDB does not reserve its prefix (it never calls
 *     MarkGUCPrefixReserved, PostgreSQL 15+), so a misspelt timescaledb.* name is silently ignored, and a bad value
 *     only logs a WARNING when the library defines the setting (define_custom_variable reapplies placeholder values
 *     with elevel WARNING): the server starts, with the default. That is the mistake this validator exists for, so it
 *     is refused, with a did-you-mean. (plpgsql does reserve its prefix, with a WARNING, when it is loaded.)
 *   - A prefix one or two edits away from those ("timescale.", "timscaledb.") is refused as a misspelt prefix.
 *   - Any other prefix (pg_stat_statements.max, auto_explain.log_min_duration): accepted as PostgreSQL accepts it,
 *     a placeholder until (and unless) its library is loaded. Its value is not checked.
 */
import data from "./pg-settings-data.json";

export type PgVartype = "bool" | "integer" | "real" | "string" | "enum";

/** One setting of one major, as pg_settings describes it for the 64-bit Linux server build of the image. */
export interface PgSettingSpec {
  readonly vartype: PgVartype;
  /** pg_settings.context: internal (cannot be set), postmaster, sighup, superuser-backend, backend, superuser, user. */
  readonly context: string;
  /** pg_settings.unit, the base unit of integer and real values: B, kB, 8kB, MB, ms, s or min; absent if unitless. */
  readonly unit?: string;
  /** Bounds in the base unit. */
  readonly min?: number;
  readonly max?: number;
  /** Enum values as pg_settings lists them; `hidden`: spellings it accepts but does not list. */
  readonly enumvals?: readonly string[];
  readonly hidden?: readonly string[];
}

/** Per major (15, 16, 17), every setting by name as PostgreSQL spells it (DateStyle, TimeZone ... keep their case). */
export const PG_SETTINGS = data.settings as unknown as Readonly<Record<number, Readonly<Record<string, PgSettingSpec>>>>;

/** Where each major's PostgreSQL and TimescaleDB settings were read from. */
export const PG_SETTINGS_SOURCES: { readonly postgres: Readonly<Record<number, string>>; readonly timescaledb: Readonly<Record<number, string>> } = data.sources;

/**
 * Prefixes whose every setting the data lists: an unknown name under them is a typo. (Not timescaledb_osm. and
 * timescaledb_lake.: TimescaleDB's loader defines only their disable_load; their other settings belong to Timescale
 * Cloud extensions the data does not cover.)
 */
const COMPLETE_PREFIXES = ["timescaledb", "timescaledb_telemetry", "plpgsql"];

/** Settings a later major renamed, for the message. */
const RENAMED: Readonly<Record<string, string>> = { force_parallel_mode: "PostgreSQL 16 renamed it debug_parallel_query" };

/** guc.c map_old_guc_names (PostgreSQL 15-17). */
const OLD_NAMES: Readonly<Record<string, string>> = { sort_mem: "work_mem", vacuum_mem: "maintenance_work_mem" };

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
/** strtol's range: `long` is 64 bits on the image's Linux servers (LONG_MAX = 2^63 - 1). */
const TWO_TO_63 = 2 ** 63;
const DBL_MIN = 2.2250738585072014e-308;

/** Lower-cased name → [name as PostgreSQL spells it, spec], per major; built on first use. */
const indexes = new Map<number, Map<string, readonly [string, PgSettingSpec]>>();

function index(major: number): Map<string, readonly [string, PgSettingSpec]> | undefined {
  let idx = indexes.get(major);
  if (!idx) {
    const table = PG_SETTINGS[major];
    if (!table) return undefined;
    idx = new Map(Object.entries(table).map(([name, spec]) => [asciiLower(name), [name, spec] as const]));
    indexes.set(major, idx);
  }
  return idx;
}

/**
 * Why PostgreSQL `major` would refuse `-c name=value`, as a short phrase, or undefined when it would accept it.
 * Majors without data (not 15, 16 or 17) get a problem too.
 */
export function settingProblem(major: number, name: string, value: string): string | undefined {
  const idx = index(major);
  if (!idx) return `PostgreSQL ${major} is not supported (settings are known for ${Object.keys(PG_SETTINGS).join(", ")})`;
  const key = OLD_NAMES[asciiLower(name).replace(/-/g, "_")] ?? asciiLower(name).replace(/-/g, "_");
  const found = idx.get(key);
  if (!found) return unknownName(major, idx, name, key);
  const [canonical, spec] = found;
  const label = canonical.toLowerCase() === name.toLowerCase() ? name : `${name} (${canonical})`;
  if (spec.context === "internal") return `${label} cannot be set: it is a read-only setting the server reports`;
  switch (spec.vartype) {
    case "bool": {
      const b = parseBool(value);
      if (b === undefined) return `${label}: ${JSON.stringify(value)} is not a boolean (on, off, true, false, yes, no, 1, 0)`;
      return b && canonical === "bonjour" ? `${label}: the server is built without Bonjour support` : undefined;
    }
    case "enum":
      return enumProblem(label, spec, value);
    case "integer":
    case "real":
      return numberProblem(label, canonical, spec, value);
    case "string":
      return undefined;
  }
}

/**
 * The number `-c name=value` sets, in the setting's base unit (pg_settings.unit: ms for log_min_duration_statement,
 * 8kB pages for shared_buffers), read by PostgreSQL's rules above; undefined when `name` is not an integer or real
 * setting of `major` or PostgreSQL would refuse the value. For readers of a deployed command line (the policy pack).
 */
export function numericSetting(major: number, name: string, value: string): number | undefined {
  if (settingProblem(major, name, value) !== undefined) return undefined;
  const key = OLD_NAMES[asciiLower(name).replace(/-/g, "_")] ?? asciiLower(name).replace(/-/g, "_");
  const spec = index(major)?.get(key)?.[1];
  if (!spec || (spec.vartype !== "integer" && spec.vartype !== "real")) return undefined;
  const parsed = parseNumber(value, spec);
  return parsed.ok ? parsed.value : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Names.
// ---------------------------------------------------------------------------------------------------------------

/** guc.c valid_custom_variable_name: dot-separated parts, each a letter, "_" or high-bit byte, then also digits and $. */
function validCustomName(name: string): boolean {
  return /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*(\.[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)+$/.test(name);
}

function unknownName(major: number, idx: Map<string, readonly [string, PgSettingSpec]>, name: string, key: string): string | undefined {
  const dot = key.indexOf(".");
  if (dot >= 0) {
    if (!validCustomName(key)) return `${JSON.stringify(name)} is not a valid setting name`;
    const prefix = key.slice(0, dot);
    const near = COMPLETE_PREFIXES.find((p) => p !== prefix && distance(prefix, p, 2) <= 2);
    if (!COMPLETE_PREFIXES.includes(prefix) && !near) return undefined; // an extension's placeholder, as PostgreSQL allows
    if (near && !COMPLETE_PREFIXES.includes(prefix)) {
      const guess = suggestion(idx, `${near}${key.slice(dot)}`);
      return `unknown setting ${JSON.stringify(name)}: "${prefix}." is not an extension's prefix (did you mean ${guess ?? `${near}.`}?)`;
    }
  }
  const elsewhere = Object.keys(PG_SETTINGS)
    .map(Number)
    .filter((m) => m !== major && index(m)?.has(key));
  if (elsewhere.length > 0) {
    const where = `it exists in ${elsewhere.join(" and ")}${key.includes(".") ? " with the TimescaleDB release of that major" : ""}`;
    return `unknown setting ${JSON.stringify(name)} in PostgreSQL ${major} (${where}${RENAMED[key] ? `; ${RENAMED[key]}` : ""})`;
  }
  const guess = suggestion(idx, key);
  return `unknown setting ${JSON.stringify(name)}${guess ? ` (did you mean ${guess}?)` : ""}`;
}

/** The closest settable name within a few edits (more for longer names), or undefined. */
function suggestion(idx: Map<string, readonly [string, PgSettingSpec]>, key: string): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(key.length / 4)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const [lower, [canonical, spec]] of idx) {
    if (spec.context === "internal" || Math.abs(lower.length - key.length) > limit) continue;
    const d = distance(key, lower, bestDistance - 1);
    if (d < bestDistance) {
      best = canonical;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions); anything above `cap` is cap + 1. */
function distance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      row.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > cap) return cap + 1;
    prev2 = prev;
    prev = row;
  }
  return Math.min(prev[b.length], cap + 1);
}

// ---------------------------------------------------------------------------------------------------------------
// bool and enum.
// ---------------------------------------------------------------------------------------------------------------

/** ASCII-only lower case, like pg_strcasecmp / guc_name_compare (no locale). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** pg_strncasecmp(value, word, n) === 0 for value of length len (comparison stops at the end of either string). */
function prefixOf(value: string, word: string, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const a = i < value.length ? asciiLower(value[i]) : "";
    const b = i < word.length ? word[i] : "";
    if (a !== b) return false;
    if (a === "") return true;
  }
  return true;
}

/** src/backend/utils/adt/bool.c parse_bool_with_len. */
export function parseBool(value: string): boolean | undefined {
  const len = value.length;
  switch (value[0]) {
    case "t":
    case "T":
      return prefixOf(value, "true", len) ? true : undefined;
    case "f":
    case "F":
      return prefixOf(value, "false", len) ? false : undefined;
    case "y":
    case "Y":
      return prefixOf(value, "yes", len) ? true : undefined;
    case "n":
    case "N":
      return prefixOf(value, "no", len) ? false : undefined;
    case "o":
    case "O":
      // 'o' is not unique enough
      if (prefixOf(value, "on", Math.max(len, 2))) return true;
      if (prefixOf(value, "off", Math.max(len, 2))) return false;
      return undefined;
    case "1":
      return len === 1 ? true : undefined;
    case "0":
      return len === 1 ? false : undefined;
    default:
      return undefined;
  }
}

function enumProblem(label: string, spec: PgSettingSpec, value: string): string | undefined {
  const v = asciiLower(value);
  const all = [...(spec.enumvals ?? []), ...(spec.hidden ?? [])];
  if (all.some((e) => asciiLower(e) === v)) return undefined;
  return `${label}: ${JSON.stringify(value)} is not one of ${(spec.enumvals ?? []).map((e) => (e === "" ? '""' : e)).join(", ")}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers: strtol / strtod as glibc does them, and the unit tables.
// ---------------------------------------------------------------------------------------------------------------

/** C isspace in the C locale. */
function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\v" || c === "\f" || c === "\r";
}

interface Scan {
  readonly value: number;
  /** Index just past the number; 0 when nothing was read (C: endptr == nptr). */
  readonly end: number;
  readonly erange: boolean;
}

/** strtol(s, &end, 0). */
function strtol(s: string): Scan {
  let i = 0;
  while (isSpace(s[i])) i++;
  let negative = false;
  if (s[i] === "+" || s[i] === "-") negative = s[i++] === "-";
  let base = 10;
  if (s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X") && /[0-9a-fA-F]/.test(s[i + 2] ?? "")) {
    base = 16;
    i += 2;
  } else if (s[i] === "0") {
    base = 8;
  }
  const digit = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
  const start = i;
  let value = 0;
  while (i < s.length && digit.test(s[i])) value = value * base + parseInt(s[i++], 16);
  if (i === start) return { value: 0, end: 0, erange: false };
  return { value: negative ? -value : value, end: i, erange: negative ? value > TWO_TO_63 : value >= TWO_TO_63 };
}

/** strtod(s, &end): decimal and hexadecimal floats, inf, infinity, nan, nan(...). */
function strtod(s: string): Scan {
  let i = 0;
  while (isSpace(s[i])) i++;
  const signStart = i;
  if (s[i] === "+" || s[i] === "-") i++;
  const negative = s[signStart] === "-";
  const rest = s.slice(i);
  const special = /^(infinity|inf|nan(\([0-9A-Za-z_]*\))?)/i.exec(rest);
  if (special) {
    const v = special[1].toLowerCase().startsWith("nan") ? NaN : Infinity;
    return { value: negative ? -v : v, end: i + special[0].length, erange: false };
  }
  const hex = /^0[xX](?=\.?[0-9a-fA-F])([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([-+]?\d+))?/.exec(rest);
  if (hex) {
    let mantissa = 0;
    for (const c of hex[1] + (hex[2] ?? "")) mantissa = mantissa * 16 + parseInt(c, 16);
    const exponent = Number(hex[3] ?? 0) - 4 * (hex[2] ?? "").length;
    const v = mantissa * Math.pow(2, exponent);
    return { value: negative ? -v : v, end: i + hex[0].length, erange: !Number.isFinite(v) || (mantissa !== 0 && Math.abs(v) < DBL_MIN) };
  }
  const dec = /^(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(rest);
  if (!dec) return { value: 0, end: 0, erange: false };
  const v = Number(dec[0]);
  const nonzero = /[1-9]/.test(dec[0].replace(/[eE].*$/, ""));
  return { value: negative ? -v : v, end: i + dec[0].length, erange: !Number.isFinite(v) || (nonzero && Math.abs(v) < DBL_MIN) };
}

/** guc.c memory_unit_conversion_table / time_unit_conversion_table rows for one base unit, largest unit first. */
type UnitTable = readonly (readonly [unit: string, multiplier: number])[];

const MEMORY_UNITS = ["TB", "GB", "MB", "kB", "B"] as const;
const UNIT_BYTES: Readonly<Record<string, number>> = { TB: 1024 ** 4, GB: 1024 ** 3, MB: 1024 ** 2, kB: 1024, B: 1 };
const TIME_UNITS = ["d", "h", "min", "s", "ms", "us"] as const;
const UNIT_MICROS: Readonly<Record<string, number>> = { d: 86400e6, h: 3600e6, min: 60e6, s: 1e6, ms: 1e3, us: 1 };

/** The conversion rows for a setting's base unit (pg_settings' unit: B, kB, 8kB, MB, ms, s, min). */
function unitTable(base: string): UnitTable | undefined {
  const bytes = { B: 1, kB: 1024, "8kB": 8192, MB: 1024 * 1024 }[base];
  if (bytes !== undefined) return MEMORY_UNITS.map((u) => [u, UNIT_BYTES[u] / bytes] as const);
  // The time table's multipliers, written as guc.c writes them so the doubles are the same.
  if (base === "ms") return [["d", 1000 * 60 * 60 * 24], ["h", 1000 * 60 * 60], ["min", 1000 * 60], ["s", 1000], ["ms", 1], ["us", 1.0 / 1000]];
  if (base === "s") return [["d", 60 * 60 * 24], ["h", 60 * 60], ["min", 60], ["s", 1], ["ms", 1.0 / 1000], ["us", 1.0 / (1000 * 1000)]];
  if (base === "min") return [["d", 60 * 24], ["h", 60], ["min", 1], ["s", 1.0 / 60], ["ms", 1.0 / (1000 * 60)], ["us", 1.0 / (1000 * 1000 * 60)]];
  return undefined;
}

/** rint() in the default rounding mode: to nearest, ties to even. */
function rint(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** guc.c convert_to_base_unit: the unit text after the number (and its spaces), or undefined if it is not a unit. */
function convertToBaseUnit(value: number, unitText: string, table: UnitTable): number | undefined {
  let unit = "";
  let i = 0;
  while (i < unitText.length && !isSpace(unitText[i]) && unit.length < 3) unit += unitText[i++];
  while (isSpace(unitText[i])) i++;
  if (i < unitText.length) return undefined; // unit too long, or garbage after it
  const row = table.findIndex(([u]) => u === unit);
  if (row < 0) return undefined;
  const converted = value * table[row][1];
  const next = table[row + 1];
  return next ? rint(converted / next[1]) * next[1] : converted;
}

type Parsed = { ok: true; value: number; unitGiven: boolean } | { ok: false; why: "syntax" | "unit" | "no-unit" | "int-range" };

/** guc.c parse_int (integer) or parse_real (real), to the setting's base unit. */
function parseNumber(value: string, spec: PgSettingSpec): Parsed {
  let scan: Scan;
  if (spec.vartype === "integer") {
    scan = strtol(value);
    // endptr is where strtol stopped, or the very start (spaces included) when it read nothing: " .5" is refused.
    const stop = value[scan.end];
    if (stop === "." || stop === "e" || stop === "E" || scan.erange) scan = strtod(value);
  } else {
    scan = strtod(value);
  }
  if (scan.end === 0 || scan.erange || Number.isNaN(scan.value)) return { ok: false, why: "syntax" };
  let i = scan.end;
  while (isSpace(value[i])) i++;
  let v = scan.value;
  const unitGiven = i < value.length;
  if (unitGiven) {
    const table = spec.unit ? unitTable(spec.unit) : undefined;
    if (!table) return { ok: false, why: spec.unit ? "unit" : "no-unit" };
    const converted = convertToBaseUnit(v, value.slice(i), table);
    if (converted === undefined) return { ok: false, why: "unit" };
    v = converted;
  }
  if (spec.vartype === "integer") {
    v = rint(v);
    if (v > INT_MAX || v < INT_MIN) return { ok: false, why: "int-range" };
  }
  return { ok: true, value: v, unitGiven };
}

function isMemory(unit: string | undefined): boolean {
  return unit === "B" || unit === "kB" || unit === "8kB" || unit === "MB";
}

function isTime(unit: string | undefined): boolean {
  return unit === "ms" || unit === "s" || unit === "min";
}

/** A value in a setting's base unit, the way SHOW prints it: the largest unit that keeps it whole. */
export function formatInUnit(v: number, unit: string | undefined): string {
  if (!unit || !Number.isFinite(v) || v <= 0) return String(v); // 0, and -1 for "disabled" or "default"
  if (isMemory(unit)) {
    const bytes = v * { B: 1, kB: 1024, "8kB": 8192, MB: 1024 * 1024 }[unit as "B"];
    if (!Number.isInteger(bytes)) return `${v}${unit === "8kB" ? " × 8kB" : unit}`;
    const u = MEMORY_UNITS.find((m) => bytes % UNIT_BYTES[m] === 0) ?? "B";
    return `${bytes / UNIT_BYTES[u]}${u}`;
  }
  const micros = v * { ms: 1e3, s: 1e6, min: 60e6 }[unit as "ms"];
  if (!Number.isInteger(micros)) return `${v}${unit}`;
  const u = TIME_UNITS.find((t) => micros % UNIT_MICROS[t] === 0) ?? "us";
  return `${micros / UNIT_MICROS[u]}${u}`;
}

function numberProblem(label: string, canonical: string, spec: PgSettingSpec, value: string): string | undefined {
  const parsed = parseNumber(value, spec);
  const shown = JSON.stringify(value);
  if (!parsed.ok) {
    if (parsed.why === "int-range") return `${label}: ${shown} is outside PostgreSQL's integer range`;
    if (isMemory(spec.unit)) {
      return `${label}: ${shown} is not a size such as 2GB${parsed.why === "unit" ? " (units: B, kB, MB, GB, TB; case matters)" : ""}`;
    }
    if (isTime(spec.unit)) {
      return `${label}: ${shown} is not a duration such as 15min${parsed.why === "unit" ? " (units: us, ms, s, min, h, d; case matters)" : ""}`;
    }
    const kind = spec.vartype === "integer" ? "an integer" : "a number";
    return `${label}: ${shown} is not ${kind}${parsed.why === "no-unit" ? " (this setting takes no unit)" : ""}`;
  }
  const v = parsed.value;
  const given = value.trim();
  const what = !parsed.unitGiven && spec.unit === "8kB" ? `${given} (× 8kB = ${formatInUnit(v, spec.unit)})` : given;
  if (spec.min !== undefined && v < spec.min) return `${label}: ${what} is below the minimum ${formatInUnit(spec.min, spec.unit)}`;
  if (spec.max !== undefined && v > spec.max) return `${label}: ${what} is above the maximum ${formatInUnit(spec.max, spec.unit)}`;
  return checkHook(label, canonical, spec, v, what);
}

/** 17's SLRU buffer settings (src/backend/access/transam/slru.c check_slru_buffers). */
const SLRU_BUFFERS = new Set([
  "commit_timestamp_buffers", "multixact_member_buffers", "multixact_offset_buffers", "notify_buffers", "serializable_buffers",
  "subtransaction_buffers", "transaction_buffers",
]);

/** The check hooks mirrored here (see the module comment), on a value already in range. */
function checkHook(label: string, name: string, spec: PgSettingSpec, v: number, what: string): string | undefined {
  if (name === "vacuum_buffer_usage_limit" && v !== 0 && (v < 128 || v > 16777216)) {
    return `${label}: ${what} is neither 0 nor between 128kB and 16GB`;
  }
  if (SLRU_BUFFERS.has(name) && v % 16 !== 0) return `${label}: ${what} is not a multiple of 16 buffers (${formatInUnit(16, spec.unit)})`;
  return undefined;
}
