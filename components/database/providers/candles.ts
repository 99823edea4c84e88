/**
 * Candles as resources (components/database/candles.ts, docs/candles.md): one `CandleAggregate` per continuous
 * aggregate and one `CandlePolicy` per policy of it (refresh, and retention unless kept forever), plus the plain
 * async functions over a `pg` Client that they and `npm run schema -- apply` share.
 *
 * An aggregate is created WITH NO DATA (its refresh policy backfills it in batches) and marked with its definition
 * (a comment), so adopting one compares that mark. Its definition cannot change in place: a changed one is a
 * replacement, which drops the old aggregate only when the stack opted in to deleting data (destroyDeletesData);
 * otherwise `pulumi preview` refuses it and says how to keep or drop the candles by hand. A changed window, schedule
 * or retention is an in-place update of the policy job (alter_job). Delete keeps the aggregate unless the stack opted
 * in, and removes the policy jobs (as the tables' policies do).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Client } from "pg";
import { ConnectedResource, type ConnectionArgs } from "./connection";
import {
  dropCandlesSql,
  hasBatchedRefresh,
  planCandlePolicy,
  planCandles,
  removeCandlePolicySql,
  type CandlePolicy,
  type CandleSpec,
  type CandlesPlan,
  type LiveCandlePolicy,
  type LiveCandles,
} from "../candles";
import { changedKeys, CONNECTION_KEYS, isKnownConnection, runStatements, withClient, type Connection } from "./live";

/** What the aggregate resource needs of a `CandleSpec`. */
export type CandleDefinition = Pick<CandleSpec, "name" | "interval" | "query" | "definitionHash">;

/** The aggregate named `name` in `schema` as the catalog has it, or undefined. */
export async function inspectCandles(client: Client, schema: string, name: string): Promise<LiveCandles | undefined> {
  const res = await client.query(
    `SELECT obj_description(c.oid, 'pg_class') AS comment, ca.view_name IS NOT NULL AS continuous, COALESCE(ca.materialized_only, false) AS materialized_only
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN timescaledb_information.continuous_aggregates ca ON ca.view_schema = n.nspname AND ca.view_name = c.relname
      WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, name],
  );
  const row = res.rows[0];
  if (!row) return undefined;
  return { continuous: row.continuous, materializedOnly: row.materialized_only, ...(row.comment === null ? {} : { comment: row.comment }) };
}

export function candlesRefusedError(plan: CandlesPlan): Error {
  const e = new Error(`Refused to change the candles; nothing was applied:\n- ${plan.refusals.join("\n- ")}`);
  e.name = "RefusedChange";
  return e;
}

export async function planLiveCandles(client: Client, schema: string, spec: CandleDefinition): Promise<CandlesPlan> {
  return planCandles(schema, spec, await inspectCandles(client, schema, spec.name));
}

/** Creates or adopts the aggregate; throws a RefusedChange error, having changed nothing, for another definition. */
export async function applyCandles(client: Client, schema: string, spec: CandleDefinition): Promise<string[]> {
  const plan = await planLiveCandles(client, schema, spec);
  if (plan.refusals.length > 0) throw candlesRefusedError(plan);
  await runStatements(client, plan.statements);
  return plan.statements;
}

/** Drops the aggregate and its candles. Only called when the stack opted in (`destroyDropsTables`). */
export async function dropCandles(client: Client, schema: string, name: string): Promise<string[]> {
  const statements = [dropCandlesSql(schema, name)];
  await runStatements(client, statements);
  return statements;
}

/** The installed TimescaleDB version, e.g. `2.23.0`. */
export async function timescaleVersion(client: Client): Promise<string> {
  const res = await client.query(`SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`);
  return String(res.rows[0]?.extversion ?? "0.0.0");
}

const CANDLE_PROCS: Record<CandlePolicy["kind"], string> = { refresh: "policy_refresh_continuous_aggregate", retention: "policy_retention" };

/** The aggregate's policy job of `kind` (timescaledb_information.jobs names the aggregate, not its hypertable). */
export async function inspectCandlePolicy(client: Client, schema: string, name: string, kind: CandlePolicy["kind"]): Promise<LiveCandlePolicy | undefined> {
  const res = await client.query(
    `SELECT job_id, extract(epoch FROM schedule_interval)::float8 AS schedule,
            extract(epoch FROM (config->>'start_offset')::interval)::float8 AS start_s,
            extract(epoch FROM (config->>'end_offset')::interval)::float8 AS end_s,
            extract(epoch FROM (config->>'drop_after')::interval)::float8 AS drop_s,
            (config->>'buckets_per_batch')::int AS buckets, (config->>'max_batches_per_execution')::int AS batches
       FROM timescaledb_information.jobs WHERE hypertable_schema = $1 AND hypertable_name = $2 AND proc_name = $3 ORDER BY job_id LIMIT 1`,
    [schema, name, CANDLE_PROCS[kind]],
  );
  const r = res.rows[0];
  if (!r) return undefined;
  const n = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));
  return {
    jobId: Number(r.job_id),
    scheduleSeconds: Number(r.schedule),
    startSeconds: n(r.start_s),
    endSeconds: n(r.end_s),
    dropAfterSeconds: n(r.drop_s),
    bucketsPerBatch: n(r.buckets),
    maxBatchesPerRun: n(r.batches),
  };
}

export async function planLiveCandlePolicy(client: Client, schema: string, name: string, p: CandlePolicy): Promise<string[]> {
  const batched = hasBatchedRefresh(await timescaleVersion(client));
  return planCandlePolicy(schema, name, p, await inspectCandlePolicy(client, schema, name, p.kind), batched);
}

export async function applyCandlePolicy(client: Client, schema: string, name: string, p: CandlePolicy): Promise<string[]> {
  const statements = await planLiveCandlePolicy(client, schema, name, p);
  await runStatements(client, statements);
  return statements;
}

/** Removes the aggregate's policy of `kind` if the aggregate and the policy exist; never touches candles. */
export async function removeCandlePolicy(client: Client, schema: string, name: string, kind: CandlePolicy["kind"]): Promise<string[]> {
  if (!(await inspectCandles(client, schema, name))?.continuous) return [];
  if (!(await inspectCandlePolicy(client, schema, name, kind))) return [];
  const statements = [removeCandlePolicySql(schema, name, kind)];
  await runStatements(client, statements);
  return statements;
}

/** Every candle aggregate and policy of the model, as the CLI applies them (after the tables). */
export async function applyModelCandles(client: Client, schema: string, specs: readonly CandleSpec[]): Promise<string[]> {
  const statements: string[] = [];
  for (const spec of specs) {
    statements.push(...(await applyCandles(client, schema, spec)));
    for (const p of candlePolicies(spec)) statements.push(...(await applyCandlePolicy(client, schema, spec.name, p)));
  }
  return statements;
}

/** The policies of an aggregate: its refresh, and its retention unless kept forever. */
export function candlePolicies(spec: Pick<CandleSpec, "refresh" | "retention">): CandlePolicy[] {
  return spec.retention ? [spec.refresh, spec.retention] : [spec.refresh];
}

export interface CandleAggregateInputs extends Connection {
  readonly schema: string;
  readonly candles: CandleDefinition;
  readonly destroyDropsTables: boolean;
}

export const candleAggregateProvider: pulumi.dynamic.ResourceProvider<CandleAggregateInputs, CandleAggregateInputs> = {
  async create(inputs) {
    await withClient(inputs, (client) => applyCandles(client, inputs.schema, inputs.candles));
    return { id: `${inputs.schema}.${inputs.candles.name}`, outs: inputs };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(
      { schema: olds.schema, name: olds.candles?.name, definition: olds.candles?.definitionHash },
      { schema: news.schema, name: news.candles?.name, definition: news.candles?.definitionHash },
      ["schema", "name", "definition"],
    ).map((k) => (k === "schema" ? "schema" : "candles"));
    if (replaces.length > 0) {
      // Without the opt-in the old aggregate is kept, so the new one could not be created: refuse now, at preview,
      // unless it is already gone or already has the new definition (dropped or re-created by hand).
      if (news.destroyDropsTables !== true && isKnownConnection(news) && olds.schema === news.schema && olds.candles?.name === news.candles?.name) {
        let plan: CandlesPlan | undefined;
        try {
          plan = await withClient(news, (client) => planLiveCandles(client, news.schema, news.candles), 5000);
        } catch {
          plan = undefined;
        }
        if (plan && plan.refusals.length > 0) throw candlesRefusedError(plan);
      }
      return { changes: true, replaces: [...new Set(replaces)], deleteBeforeReplace: true };
    }
    let changes = changedKeys(olds as never, news as never, [...CONNECTION_KEYS, "candles", "destroyDropsTables"]).length > 0;
    if (!changes && isKnownConnection(news)) {
      try {
        const plan = await withClient(news, (client) => planLiveCandles(client, news.schema, news.candles), 5000);
        if (plan.refusals.length > 0) throw candlesRefusedError(plan);
        changes = plan.statements.length > 0;
      } catch (e) {
        if ((e as Error).name === "RefusedChange") throw e;
        // Unreachable during preview: decide from the inputs alone.
      }
    }
    return { changes };
  },

  async update(_id, _olds, news) {
    await withClient(news, (client) => applyCandles(client, news.schema, news.candles));
    return { outs: news };
  },

  async delete(_id, props) {
    // Candles outlive the raw rows: only a stack that opted in drops them.
    if (props.destroyDropsTables === true) await withClient(props, (client) => dropCandles(client, props.schema, props.candles.name));
  },
};

export interface CandleAggregateArgs extends ConnectionArgs {
  readonly schema: pulumi.Input<string>;
  readonly candles: CandleDefinition;
  readonly destroyDropsTables: pulumi.Input<boolean>;
}

export class CandleAggregate extends ConnectedResource {
  declare readonly schema: pulumi.Output<string>;
  declare readonly candles: pulumi.Output<CandleDefinition>;

  constructor(name: string, args: CandleAggregateArgs, opts?: pulumi.CustomResourceOptions) {
    super(candleAggregateProvider, name, args, opts);
  }
}

export interface CandlePolicyInputs extends Connection {
  readonly schema: string;
  /** The aggregate, `<table>_candles_<interval>`. */
  readonly candles: string;
  readonly policy: CandlePolicy;
}

export const candlePolicyProvider: pulumi.dynamic.ResourceProvider<CandlePolicyInputs, CandlePolicyInputs> = {
  async create(inputs) {
    await withClient(inputs, (client) => applyCandlePolicy(client, inputs.schema, inputs.candles, inputs.policy));
    return { id: `${inputs.schema}.${inputs.candles}/${inputs.policy.kind}`, outs: inputs };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(
      { schema: olds.schema, candles: olds.candles, kind: olds.policy?.kind },
      { schema: news.schema, candles: news.candles, kind: news.policy?.kind },
      ["schema", "candles", "kind"],
    ).map((k) => (k === "kind" ? "policy" : k));
    if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: true };
    let changes = changedKeys(olds as never, news as never, [...CONNECTION_KEYS, "policy"]).length > 0;
    if (!changes && isKnownConnection(news)) {
      try {
        changes = (await withClient(news, (client) => planLiveCandlePolicy(client, news.schema, news.candles, news.policy), 5000)).length > 0;
      } catch {
        // Unreachable during preview: decide from the inputs alone.
      }
    }
    return { changes };
  },

  async update(_id, _olds, news) {
    await withClient(news, (client) => applyCandlePolicy(client, news.schema, news.candles, news.policy));
    return { outs: news };
  },

  async delete(_id, props) {
    await withClient(props, (client) => removeCandlePolicy(client, props.schema, props.candles, props.policy.kind));
  },
};

export interface CandlePolicyArgs extends ConnectionArgs {
  readonly schema: pulumi.Input<string>;
  readonly candles: pulumi.Input<string>;
  readonly policy: CandlePolicy;
}

export class CandlePolicyResource extends ConnectedResource {
  declare readonly schema: pulumi.Output<string>;
  declare readonly candles: pulumi.Output<string>;
  declare readonly policy: pulumi.Output<CandlePolicy>;

  constructor(name: string, args: CandlePolicyArgs, opts?: pulumi.CustomResourceOptions) {
    super(candlePolicyProvider, name, args, opts);
  }
}
