/**
 * Size and duration parsing for stack config. Pure functions; every error names the config key, the value given and
 * what is allowed, because these messages are what a user sees at `pulumi preview`.
 */

/**
 * A value a message must not show: a secret key's, or an unknown key's (a mistyped `databaseURL` is still a URL with
 * a password). `ConfigError` then says that a value was given, and why it is not shown.
 */
export class HiddenValue {
  constructor(readonly why: string) {}
}

/**
 * A value already made fit for a message by the code that throws (a URL without its password, `redactUrl`): shown as
 * it is, also for a secret key.
 */
export class RedactedValue {
  constructor(readonly text: string) {}
}

/** A config value that failed validation. `message` is the one line shown at `pulumi preview`. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`Invalid config '${key}': got ${shownValue(value)}; expected ${allowed}.`);
    this.name = "ConfigError";
  }
}

/**
 * A value as a message shows it: JSON, with the password of any URL in it masked (`redactSecrets`), or a note when it
 * is hidden. Strings are masked before they are quoted, so an escaped quote in a password cannot end the match early.
 */
export function shownValue(value: unknown): string {
  if (value instanceof HiddenValue) return `a value that is not shown (${value.why})`;
  if (value instanceof RedactedValue) return JSON.stringify(redactSecrets(value.text));
  return JSON.stringify(redactDeep(value)) ?? String(value);
}

function redactDeep(value: unknown): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)]));
  return value;
}

/**
 * `text` with URL passwords masked, wherever they are: the userinfo password of any `scheme://user:password@` (to the
 * last "@" of the text, since a password may hold an unencoded "@"; masking too much is harmless), and the value of a
 * `password=` query parameter (libpq and pg read `?password=` as the password).
 */
export function redactSecrets(text: string): string {
  // The placeholders of example URLs ("user:password@host" in a message's `expected`) stay as they are.
  const mask = (whole: string, kept: string, secret: string) => (PLACEHOLDERS.includes(secret) ? whole : `${kept}***`);
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)([^]*)(?=@)/gi, mask)
    .replace(/([?&]password=)([^&#\s"]*)/gi, mask);
}

const PLACEHOLDERS = ["password", "***", "<password>", "PASSWORD"];

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/**
 * Units accepted in sizes. PostgreSQL's own units (kB, MB, GB, TB) are binary (1GB = 1024MB), and so are Docker's
 * (1g = 1024m), so the decimal-looking spellings mean the binary multiples here too: `8GB`, `8GiB` and `8g` are the
 * same size, as they are to PostgreSQL and Docker.
 */
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: KiB, kb: KiB, kib: KiB,
  m: MiB, mb: MiB, mib: MiB,
  g: GiB, gb: GiB, gib: GiB,
  t: TiB, tb: TiB, tib: TiB,
};

export const SIZE_SYNTAX = "a size such as 512MiB, 2GiB or 8GB (units B, kB, MB, GB, TB or KiB..TiB; binary multiples)";

/** Parses a size such as `8GiB`, `1536MB` or `1g` into bytes. Throws a ConfigError naming `key` on bad input. */
export function parseSize(key: string, value: unknown): number {
  if (typeof value === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/.exec(value);
    if (m) {
      const unit = SIZE_UNITS[m[2].toLowerCase()];
      const bytes = unit === undefined ? NaN : Number(m[1]) * unit;
      if (Number.isFinite(bytes) && bytes > 0 && Number.isInteger(bytes)) return bytes;
    }
  }
  throw new ConfigError(key, value, SIZE_SYNTAX);
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};

export const DURATION_SYNTAX = "a duration such as 30s, 15min, 2h or 7 days (units ms, s, min, h, d, w)";

/** Parses a duration such as `30s`, `15min` or `7 days` into milliseconds. Throws a ConfigError naming `key`. */
export function parseDuration(key: string, value: unknown): number {
  if (typeof value === "string") {
    const m = /^\s*(\d+)\s*([a-zA-Z]+)\s*$/.exec(value);
    if (m) {
      const unit = DURATION_UNITS[m[2].toLowerCase()];
      const ms = unit === undefined ? NaN : Number(m[1]) * unit;
      if (Number.isFinite(ms) && ms > 0) return ms;
    }
  }
  throw new ConfigError(key, value, DURATION_SYNTAX);
}

/**
 * Renders bytes the way PostgreSQL and timescaledb-tune write memory settings: the largest of GB, MB, kB that divides
 * the value exactly (`2GB`, `1536MB`, `64kB`), else bytes rounded down to whole kB.
 */
export function formatPgSize(bytes: number): string {
  if (bytes % GiB === 0) return `${bytes / GiB}GB`;
  if (bytes % MiB === 0) return `${bytes / MiB}MB`;
  return `${Math.floor(bytes / KiB)}kB`;
}

/** Renders bytes for humans in messages: `8 GiB`, `1536 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${Math.round(bytes / KiB)} KiB`;
}
