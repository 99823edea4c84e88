/**
 * The schema model outside Pulumi. Needs neither the Pulumi CLI nor Docker:
 *
 *   npm run schema -- plan --stack prod                                   # the SQL the model implies for the stack
 *   npm run schema -- apply --stack prod --database-url postgresql://...  # apply it; a second run prints "no changes"
 *
 * `apply` runs the same code as the dynamic providers of `pulumi up` (components/database/providers/live.ts): the
 * extension, the schema, each table (adopted if it exists, refused if the change is destructive) and its policies,
 * then the candles (components/database/candles.ts) and their refresh and retention policies.
 * Roles, grants and default privileges need generated passwords and stay with `pulumi up`.
 */
import { parseArgs } from "node:util";
import { stackConfigSource } from "../components/config/stack-files";
import { stackNeighbours } from "../components/config/stack-clash";
import { loadStackDefinition } from "../components/config/stack";
import { DEFAULT_SCHEMA, hypertableSpec, validateSchemaName, type TableSpec } from "../components/database/model";
import { createScaledStorageSql, storageTableName } from "../components/database/scaled";
import { addPolicySql, createExtensionSql, createSchemaSql, tablePolicies, tableSql } from "../components/database/sql";
import { applyModel, withClient } from "../components/database/providers/live";
import { addCandlePolicySql, createCandlesSql, modelCandles } from "../components/database/candles";
import { applyModelCandles, candlePolicies } from "../components/database/providers/candles";
import { hostPort } from "../components/database/url";
import { parseDatabaseUrl } from "../components/database/providers/connection";
import type { ConnectionTls } from "../components/database/providers/live";

const USAGE = [
  "usage: npm run schema -- plan --stack <name> [--schema crypto_scout]",
  "       npm run schema -- apply --stack <name> --database-url postgresql://user:password@host:port/database [--schema crypto_scout]",
].join("\n");

/**
 * The table model for a stack, read and validated exactly as `pulumi preview` does (the whole stack definition, so a
 * stack that would fail preview fails here with the same line). A stack without a stack file is an error that lists
 * the known stacks: a typo must not silently plan the defaults.
 */
export function tablesForStack(stack: string, dir?: string): { tables: readonly TableSpec[]; source: string; stackTls?: ConnectionTls } {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new Error(`Invalid stack name ${JSON.stringify(stack)}: letters, digits, '_', '.', '-'.`);
  const { settings, tables } = loadStackDefinition(stackConfigSource(stack, dir), stackNeighbours(stack, dir));
  const file = `Pulumi.${stack}.yaml`;
  const overridden = Object.keys(settings.tableOverrides as object).length > 0;
  return { tables, source: overridden ? `${file} overrides` : `${file}, which sets no table overrides`, stackTls: settings.external?.stackTls };
}

/** The plan as a SQL script: extension, schema, then per table its DDL and policies. */
export function planScript(schema: string, tables: readonly TableSpec[], header: string[]): string {
  const lines = header.map((h) => `-- ${h}`);
  const block = (title: string, statements: string[]) => lines.push("", `-- ${title}`, ...statements.map((s) => `${s};`));
  block("extension and schema", [createExtensionSql(), createSchemaSql(schema)]);
  for (const t of tables) {
    const scaled = t.storage === "scaled";
    // A scaled table's policies belong to its physical hypertable (components/database/scaled.ts).
    const hypertable = scaled ? storageTableName(t.name) : t.name;
    block(
      `${t.name}: ${t.chunkInterval} chunks on ${t.timeColumn}, compress after ${t.compressAfter}, retention ${t.retention}, reorder on ${t.reorderIndex}` +
        (scaled ? `; scaled storage in ${hypertable}, behind the view ${t.name}` : ""),
      [...(scaled ? createScaledStorageSql(schema, hypertableSpec(t)) : tableSql(schema, t)), ...tablePolicies(t).map((p) => addPolicySql(schema, hypertable, p))],
    );
  }
  for (const c of modelCandles(schema, tables)) {
    block(
      `${c.name}: ${c.bucket} candles of ${c.source}, refreshed every ${c.refresh.every} over the last ${c.refresh.window}, ` +
        `${c.retention ? `kept ${c.retention.after}` : "kept forever"}; batched refresh options need TimescaleDB 2.19+ (apply leaves them out on older servers)`,
      [...createCandlesSql(schema, c), ...candlePolicies(c).map((p) => addCandlePolicySql(schema, c.name, p, true))],
    );
  }
  lines.push("", "-- Roles (writer, reader), their grants and default privileges are managed by `pulumi up` (generated passwords).");
  return lines.join("\n");
}

/** Runs the CLI; returns the exit code. `out`/`err` receive whole lines. */
export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error, dir?: string): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { stack: { type: "string", short: "s" }, "database-url": { type: "string" }, schema: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if ((command !== "plan" && command !== "apply") || positionals.length > 1 || !values.stack) {
    err(USAGE);
    return 2;
  }
  try {
    const schema = validateSchemaName("--schema", values.schema ?? DEFAULT_SCHEMA);
    const { tables, source, stackTls } = tablesForStack(values.stack, dir);
    const candles = modelCandles(schema, tables);
    const policies = tables.length * 3 + candles.reduce((n, c) => n + candlePolicies(c).length, 0);
    const objects = `${tables.length} tables, ${candles.length} candle aggregates, ${policies} policies`;
    if (command === "plan") {
      out(planScript(schema, tables, [`crypto-scout-db schema for stack ${values.stack} (table settings: ${source})`, `schema ${schema}: ${objects}`]));
      return 0;
    }
    const url = values["database-url"];
    if (!url) {
      err(`apply needs --database-url\n${USAGE}`);
      return 2;
    }
    // The URL's own sslmode/sslrootcert win; without them an external stack's TLS applies (verify-full by default),
    // as in `pulumi up`. For a local stack a URL without sslmode stays plain: the container serves no TLS.
    const parsed = parseDatabaseUrl(url, "--database-url");
    const conn = parsed.tls || !stackTls ? parsed : { ...parsed, tls: stackTls };
    const where = `${schema} at ${hostPort(conn)}/${conn.database}`;
    let statements: string[];
    try {
      statements = await withClient(conn, async (client) => [...(await applyModel(client, schema, tables)), ...(await applyModelCandles(client, schema, candles))]);
    } catch (e) {
      err(`schema apply failed for ${where}: ${(e as Error).message}`);
      return 1;
    }
    if (statements.length === 0) {
      out(`no changes: ${where} matches the model (${objects})`);
    } else {
      out(`applied ${statements.length} statement${statements.length === 1 ? "" : "s"} to ${where}:`);
      for (const s of statements) out(`${s};`);
    }
    return 0;
  } catch (e) {
    err((e as Error).message);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
