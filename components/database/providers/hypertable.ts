/**
 * One hypertable of the model as a resource: create adopts or creates the table, its indexes, the hypertable and its
 * compression settings; a changed model (chunk interval, compression settings, a new column or index) is an in-place
 * update; a destructive change (drop, rename or retype a column...) is refused in diff and update, against the live
 * catalog, with how to migrate. Delete never drops the table unless the stack opted in with `destroyDropsTables`.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConnectedResource, type ConnectionArgs } from "./connection";
import type { HypertableSpec } from "../model";
import {
  applyTable,
  changedKeys,
  CONNECTION_KEYS,
  dropTable,
  isKnownConnection,
  planLiveTable,
  refusedError,
  withClient,
  type Connection,
} from "./live";

export interface HypertableInputs extends Connection {
  readonly schema: string;
  /** The table without its policies (see `hypertableSpec`). */
  readonly table: HypertableSpec;
  readonly destroyDropsTables: boolean;
}

export const hypertableProvider: pulumi.dynamic.ResourceProvider<HypertableInputs, HypertableInputs> = {
  async create(inputs) {
    await withClient(inputs, (client) => applyTable(client, inputs.schema, inputs.table));
    return { id: `${inputs.schema}.${inputs.table.name}`, outs: inputs };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys({ schema: olds.schema, table: olds.table?.name }, { schema: news.schema, table: news.table?.name }, ["schema", "table"]);
    if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: false };
    let changes = changedKeys(olds as never, news as never, [...CONNECTION_KEYS, "table", "destroyDropsTables"]).length > 0;
    // Against the live catalog when it is reachable: refuse destructive changes now (preview fails with the reason),
    // and report drift (e.g. an index dropped by hand) as a change. Unreachable: decide from the inputs alone.
    if (isKnownConnection(news)) {
      let plan;
      try {
        plan = await withClient(news, (client) => planLiveTable(client, news.schema, news.table), 5000);
      } catch {
        plan = undefined;
      }
      if (plan && plan.refusals.length > 0) throw refusedError(plan);
      if (plan && plan.statements.length > 0) changes = true;
    }
    return { changes };
  },

  async update(_id, _olds, news) {
    await withClient(news, (client) => applyTable(client, news.schema, news.table));
    return { outs: news };
  },

  async delete(_id, props) {
    // The rows are the point of this database: only a stack that opted in drops them.
    if (props.destroyDropsTables === true) {
      await withClient(props, (client) => dropTable(client, props.schema, props.table.name));
    }
  },
};

export interface HypertableArgs extends ConnectionArgs {
  readonly schema: pulumi.Input<string>;
  readonly table: HypertableSpec;
  readonly destroyDropsTables: pulumi.Input<boolean>;
}

export class Hypertable extends ConnectedResource {
  declare readonly schema: pulumi.Output<string>;
  declare readonly table: pulumi.Output<HypertableSpec>;
  declare readonly destroyDropsTables: pulumi.Output<boolean>;

  constructor(name: string, args: HypertableArgs, opts?: pulumi.CustomResourceOptions) {
    super(hypertableProvider, name, args, opts);
  }
}
