/**
 * Everything a stack's config decides, validated in one pass before any resource exists: the settings, the
 * PostgreSQL tuning derived from them, and the table model with the stack's overrides. Used by index.ts and by the
 * tools (print-settings, schema), so a value that fails one fails all of them with the same line.
 */
import { loadSettings, type ConfigSource, type Settings } from "./settings";
import { ConfigError } from "./units";
import { tunePostgres, TuningError, type Tuning } from "../tuning";
import { applyTableOverrides, DEFAULT_SCHEMA, type TableSpec } from "../database/model";
import { modelCandles } from "../database/candles";

export interface StackDefinition {
  readonly settings: Settings;
  readonly tuning: Tuning;
  readonly tables: readonly TableSpec[];
}

/** Reads and checks the whole stack. Throws a ConfigError or TuningError (one line) on the first bad value. */
export function loadStackDefinition(source: ConfigSource): StackDefinition {
  const settings = loadSettings(source);
  const tuning = tunePostgres({
    memoryBytes: settings.memoryLimitBytes,
    cpus: settings.cpus,
    maxConnections: settings.maxConnections,
    postgresMajor: settings.postgresMajor,
    walDiskBudgetBytes: settings.walDiskBudgetBytes,
    shmSizeBytes: settings.shmSizeBytes,
    nofileLimit: settings.nofileLimit,
    overrides: settings.postgresSettings,
    // Monitoring makes statements countable (postgres_exporter's pg_stat_statements collector).
    preloadLibraries: settings.monitoring.enabled ? ["pg_stat_statements"] : [],
  });
  const tables = applyTableOverrides("tables", settings.tableOverrides);
  // The candles' windows against the tables' retention (candles.ts): refused here, naming tables.<table>.candles.
  modelCandles(DEFAULT_SCHEMA, tables);
  return { settings, tuning, tables };
}

/** Errors that are the user's input, not a bug: shown as their message alone, without a stack trace. */
export function isInputError(e: unknown): e is ConfigError | TuningError {
  return e instanceof ConfigError || e instanceof TuningError;
}
