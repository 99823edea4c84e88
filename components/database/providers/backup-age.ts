/**
 * The backup-age function (components/monitoring/backup-age.ts) as a resource: create and update (re)create it and
 * its grants, delete drops it. It reads a file, never a table: nothing here touches data.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConnectedResource, type ConnectionArgs } from "./connection";
import { changedKeys, CONNECTION_KEYS, withClient, type Connection } from "./live";
import { backupAgeFunctionSql, dropBackupAgeFunctionSql } from "../../monitoring/backup-age";

export interface BackupAgeInputs extends Connection {
  readonly schema: string;
  /** The dump to watch, as the database server sees it. */
  readonly file: string;
  /** The only role that may call the function. */
  readonly role: string;
}

async function apply(inputs: BackupAgeInputs): Promise<void> {
  await withClient(inputs, async (client) => {
    for (const statement of backupAgeFunctionSql(inputs.schema, inputs.file, inputs.role)) await client.query(statement);
  });
}

export const backupAgeProvider: pulumi.dynamic.ResourceProvider<BackupAgeInputs, BackupAgeInputs> = {
  async create(inputs) {
    await apply(inputs);
    return { id: `${inputs.schema}.backup_age_seconds`, outs: inputs };
  },
  async diff(_id, olds, news) {
    if (olds.schema !== news.schema) return { changes: true, replaces: ["schema"], deleteBeforeReplace: true };
    return { changes: changedKeys(olds as never, news as never, [...CONNECTION_KEYS, "file", "role"]).length > 0 };
  },
  async update(_id, _olds, news) {
    await apply(news);
    return { outs: news };
  },
  async delete(_id, props) {
    await withClient(props, async (client) => {
      for (const statement of dropBackupAgeFunctionSql(props.schema)) await client.query(statement);
    });
  },
};

export interface BackupAgeFunctionArgs extends ConnectionArgs {
  readonly schema: pulumi.Input<string>;
  readonly file: pulumi.Input<string>;
  readonly role: pulumi.Input<string>;
}

export class BackupAgeFunction extends ConnectedResource {
  constructor(name: string, args: BackupAgeFunctionArgs, opts?: pulumi.CustomResourceOptions) {
    super(backupAgeProvider, name, args, opts);
  }
}
