/**
 * The SECURITY DEFINER functions only the monitoring role may call, which read files the server sees (never a
 * table: nothing here touches data), as resources: create and update (re)create the function and its grants, delete
 * drops it. One provider shape for each function, the function's SQL from components/monitoring/:
 * - `backup_age_seconds()` (backup-age.ts): the age of the sidecar's newest complete dump, from `file`;
 * - `pitr_archive_status()` (pitr-status.ts): the WAL archive's status files, from the directory `dir`.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConnectedResource, type ConnectionArgs } from "./connection";
import { changedKeys, CONNECTION_KEYS, withClient, type Connection } from "./live";
import { backupAgeFunctionSql, dropBackupAgeFunctionSql } from "../../monitoring/backup-age";
import { dropPitrStatusFunctionSql, pitrStatusFunctionSql } from "../../monitoring/pitr-status";

interface MonitoringFunctionInputs extends Connection {
  readonly schema: string;
  /** The only role that may call the function. */
  readonly role: string;
}

/** A provider for the function `name`, whose location (a file or directory the server sees) is input `location`. */
function monitoringFunctionProvider<I extends MonitoringFunctionInputs, K extends keyof I & string>(fn: {
  readonly name: string;
  readonly location: K;
  readonly createSql: (schema: string, location: string, role: string) => string[];
  readonly dropSql: (schema: string) => string[];
}): pulumi.dynamic.ResourceProvider<I, I> {
  const apply = (inputs: I) =>
    withClient(inputs, async (client) => {
      for (const statement of fn.createSql(inputs.schema, String(inputs[fn.location]), inputs.role)) await client.query(statement);
    });
  return {
    async create(inputs) {
      await apply(inputs);
      return { id: `${inputs.schema}.${fn.name}`, outs: inputs };
    },
    async diff(_id, olds, news) {
      if (olds.schema !== news.schema) return { changes: true, replaces: ["schema"], deleteBeforeReplace: true };
      return { changes: changedKeys(olds as never, news as never, [...CONNECTION_KEYS, fn.location, "role"]).length > 0 };
    },
    async update(_id, _olds, news) {
      await apply(news);
      return { outs: news };
    },
    async delete(_id, props) {
      await withClient(props, async (client) => {
        for (const statement of fn.dropSql(props.schema)) await client.query(statement);
      });
    },
  };
}

export interface BackupAgeInputs extends MonitoringFunctionInputs {
  /** The dump to watch, as the database server sees it. */
  readonly file: string;
}

export const backupAgeProvider = monitoringFunctionProvider<BackupAgeInputs, "file">({
  name: "backup_age_seconds",
  location: "file",
  createSql: backupAgeFunctionSql,
  dropSql: dropBackupAgeFunctionSql,
});

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

export interface PitrStatusInputs extends MonitoringFunctionInputs {
  /** The archive's directory, as the database server sees it (read-only). */
  readonly dir: string;
}

export const pitrStatusProvider = monitoringFunctionProvider<PitrStatusInputs, "dir">({
  name: "pitr_archive_status",
  location: "dir",
  createSql: pitrStatusFunctionSql,
  dropSql: dropPitrStatusFunctionSql,
});

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
