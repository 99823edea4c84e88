/**
 * The PITR archive status function (components/monitoring/pitr-status.ts) as a resource: create and update
 * (re)create it and its grants, delete drops it. It reads files, never a table: nothing here touches data.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConnectedResource, type ConnectionArgs } from "./connection";
import { changedKeys, CONNECTION_KEYS, withClient, type Connection } from "./live";
import { dropPitrStatusFunctionSql, pitrStatusFunctionSql } from "../../monitoring/pitr-status";

export interface PitrStatusInputs extends Connection {
  readonly schema: string;
  /** The archive's directory, as the database server sees it (read-only). */
  readonly dir: string;
  /** The only role that may call the function. */
  readonly role: string;
}

async function apply(inputs: PitrStatusInputs): Promise<void> {
  await withClient(inputs, async (client) => {
    for (const statement of pitrStatusFunctionSql(inputs.schema, inputs.dir, inputs.role)) await client.query(statement);
  });
}

export const pitrStatusProvider: pulumi.dynamic.ResourceProvider<PitrStatusInputs, PitrStatusInputs> = {
  async create(inputs) {
    await apply(inputs);
    return { id: `${inputs.schema}.pitr_archive_status`, outs: inputs };
  },
  async diff(_id, olds, news) {
    if (olds.schema !== news.schema) return { changes: true, replaces: ["schema"], deleteBeforeReplace: true };
    return { changes: changedKeys(olds as never, news as never, [...CONNECTION_KEYS, "dir", "role"]).length > 0 };
  },
  async update(_id, _olds, news) {
    await apply(news);
    return { outs: news };
  },
  async delete(_id, props) {
    await withClient(props, async (client) => {
      for (const statement of dropPitrStatusFunctionSql(props.schema)) await client.query(statement);
    });
  },
};

export interface PitrStatusFunctionArgs extends ConnectionArgs {
  readonly schema: pulumi.Input<string>;
  readonly dir: pulumi.Input<string>;
  readonly role: pulumi.Input<string>;
}

export class PitrStatusFunction extends ConnectedResource {
  constructor(name: string, args: PitrStatusFunctionArgs, opts?: pulumi.CustomResourceOptions) {
    super(pitrStatusProvider, name, args, opts);
  }
}
