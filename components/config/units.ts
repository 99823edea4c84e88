/**
 * Size and duration parsing for stack config. Pure functions; every error names the config key, the value given and
 * what is allowed, because these messages are what a user sees at `pulumi preview`.
 */

/** A config value that failed validation. `message` is the one line shown at `pulumi preview`. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`Invalid config '${key}': got ${JSON.stringify(value)}; expected ${allowed}.`);
    this.name = "ConfigError";
  }
}

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
