/**
 * Everything a stack's config decides, validated in one pass before any resource exists: the settings, the
 * PostgreSQL tuning derived from them, and the table model with the stack's overrides. Used by index.ts and by the
 * tools (print-settings, schema), so a value that fails one fails all of them with the same line.
 */
import { loadSettings, withoutSecrets, type ConfigSource, type Settings } from "./settings";
import { ConfigError } from "./units";
import { tunePostgres, TuningError, type Tuning } from "../tuning";
import { applyTableOverrides, DEFAULT_SCHEMA, type TableSpec } from "../database/model";
import { modelCandles } from "../database/candles";
import { checkOtherStacks, type OtherStack } from "./stack-clash";

export interface StackDefinition {
  readonly settings: Settings;
  readonly tuning: Tuning;
  readonly tables: readonly TableSpec[];
  /** Other stacks of the project whose files could not be read, so their names were not compared (a warning). */
  readonly uncheckedStacks: readonly OtherStack[];
}

/** The project's other stacks to compare Docker names, ports and directories with (stack-clash.ts). */
export interface StackNeighbours {
  readonly others: readonly OtherStack[];
  /** This stack's `docker:host`, when set. */
  readonly dockerHost?: string;
}

/**
 * Reads and checks the whole stack. Throws a ConfigError or TuningError (one line) on the first bad value, showing no
 * secret (settings.ts `withoutSecrets`). With `neighbours`, also refuses names, ports or host directories another
 * stack of the project takes.
 */
export function loadStackDefinition(source: ConfigSource, neighbours?: StackNeighbours): StackDefinition {
  return withoutSecrets(source, () => readStackDefinition(source, neighbours));
}

function readStackDefinition(source: ConfigSource, neighbours?: StackNeighbours): StackDefinition {
  const settings = loadSettings(source);
  const uncheckedStacks = neighbours ? checkOtherStacks(settings, source, neighbours.others, neighbours.dockerHost) : [];
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
  return { settings, tuning, tables, uncheckedStacks };
}

/** Errors that are the user's input, not a bug: shown as their message alone, without a stack trace. */
export function isInputError(e: unknown): e is ConfigError | TuningError {
  return e instanceof ConfigError || e instanceof TuningError;
}
