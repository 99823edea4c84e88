/**
 * One TimescaleDB policy (compression, retention or reorder) of one hypertable as a resource. Create adds it, or
 * adopts an existing job and changes its setting in place (alter_job) when it differs from the model; a changed
 * window or reorder index is an in-place update; delete removes the policy job and never touches rows. A retention
 * that would drop chunks which exist now is refused in diff (at preview), create and update, unless the stack opted
 * in for that retention (`tables.<table>.allowRetentionDrop`); see live.ts `retentionDrop`.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConnectedResource, type ConnectionArgs } from "./connection";
import type { PolicySpec } from "../sql";
import {
  applyPolicy,
  changedKeys,
  CONNECTION_KEYS,
  isKnownConnection,
  planLivePolicy,
  removePolicy,
  retentionDrop,
  retentionDropError,
  retentionDropMessage,
  withClient,
  type Connection,
  type RetentionDrop,
} from "./live";

export interface PolicyInputs extends Connection {
  readonly schema: string;
  readonly table: string;
  readonly policy: PolicySpec;
}

export const policyProvider: pulumi.dynamic.ResourceProvider<PolicyInputs, PolicyInputs> = {
  async create(inputs) {
    await withClient(inputs, (client) => applyPolicy(client, inputs.schema, inputs.table, inputs.policy));
    return { id: `${inputs.schema}.${inputs.table}/${inputs.policy.kind}`, outs: inputs };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(
      { schema: olds.schema, table: olds.table, kind: olds.policy?.kind },
      { schema: news.schema, table: news.table, kind: news.policy?.kind },
      ["schema", "table", "kind"],
    ).map((k) => (k === "kind" ? "policy" : k));
    if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: true };
    let changes = changedKeys(olds as never, news as never, [...CONNECTION_KEYS, "policy"]).length > 0;
    // Against the live database when it is reachable: drift (a job removed or altered by hand) shows as an update,
    // and a retention that would drop chunks which exist now is refused here, at preview, unless the stack opted in.
    if (isKnownConnection(news)) {
      let live: { statements: string[]; drop?: RetentionDrop } | undefined;
      try {
        live = await withClient(news, async (client) => {
          const statements = await planLivePolicy(client, news.schema, news.table, news.policy);
          const drop = statements.length > 0 && news.policy.kind === "retention" ? await retentionDrop(client, news.schema, news.table, news.policy.after) : undefined;
          return { statements, drop };
        }, 5000);
      } catch {
        // Unreachable during preview: decide from the inputs alone (create and update check again before applying).
      }
      if (live?.drop && !(news.policy.kind === "retention" && news.policy.allowDrop)) throw retentionDropError(live.drop);
      // The opt-in was given: say what goes (a dynamic provider's console output reaches the CLI, pulumi/pulumi#18253).
      if (live?.drop) console.log(`${news.schema}.${news.table}: ${retentionDropMessage(live.drop, false)} (allowed by tables.${news.table}.allowRetentionDrop)`);
      if (live && live.statements.length > 0) changes = true;
    }
    return { changes };
  },

  async update(_id, _olds, news) {
    await withClient(news, (client) => applyPolicy(client, news.schema, news.table, news.policy));
    return { outs: news };
  },

  async delete(_id, props) {
    await withClient(props, (client) => removePolicy(client, props.schema, props.table, props.policy.kind));
  },
};

export interface TimescalePolicyArgs extends ConnectionArgs {
  readonly schema: pulumi.Input<string>;
  readonly table: pulumi.Input<string>;
  readonly policy: PolicySpec;
}

export class TimescalePolicy extends ConnectedResource {
  declare readonly schema: pulumi.Output<string>;
  declare readonly table: pulumi.Output<string>;
  declare readonly policy: pulumi.Output<PolicySpec>;

  constructor(name: string, args: TimescalePolicyArgs, opts?: pulumi.CustomResourceOptions) {
    super(policyProvider, name, args, opts);
  }
}
