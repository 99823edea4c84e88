/**
 * What the configuration reference says of the keys Pulumi.yaml cannot declare (objects, and the secret
 * `databaseUrl`; see settings.ts UNDECLARED_KEYS). Every declared key is documented by its `description` in
 * Pulumi.yaml; `scripts/generate-reference.ts` writes docs/reference/configuration.md from both, and
 * test/reference-docs.test.ts fails when a key the program reads is documented in neither place.
 */
import type { ConfigKey } from "./settings";

export interface UndeclaredKeyDoc {
  /** The value's type as a stack file holds it. */
  readonly type: "object" | "string";
  /** The default as the reference shows it. */
  readonly default: string;
  readonly description: string;
}

export const UNDECLARED_KEY_DOCS: Readonly<Partial<Record<ConfigKey, UndeclaredKeyDoc>>> = {
  postgresSettings: {
    type: "object",
    default: "{}",
    description:
      "Explicit PostgreSQL settings that win over the derived tuning, e.g. `pulumi config set --path 'postgresSettings.work_mem' 32MB`. " +
      "Each name and value is checked at preview with PostgreSQL's own parsing rules for the stack's major (and TimescaleDB's settings); " +
      "settings the deployment itself relies on are refused (docs/configuration-postgres-settings.md).",
  },
  tables: {
    type: "object",
    default: "{}",
    description:
      "Per-table windows, storage and candles, e.g. `pulumi config set --path 'tables.cmc_fgi.retention' '365 days'`; see docs/schema.md.",
  },
  databaseUrl: {
    type: "string",
    default: "unset (the local container)",
    description:
      "Secret: `pulumi config set --secret databaseUrl postgresql://user:password@host:port/db`. Manage that server instead of a container " +
      "(docs/external-server.md). Refused in clear text.",
  },
};
