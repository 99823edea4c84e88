/**
 * Server readiness as a resource: create (and any change of address, credentials or server revision) waits until
 * TimescaleDB accepts a connection with the generated credentials, bounded by a timeout. Everything that connects
 * takes its host, port and credentials from this resource's outputs, so nothing connects before the server is ready;
 * Docker's health status is not needed (Podman without systemd has none).
 */
import * as pulumi from "@pulumi/pulumi";
import { ConnectedResource, type ConnectionArgs } from "./connection";
import { changedKeys, CONNECTION_KEYS, waitForServer, type Connection, type ConnectionTls } from "./live";
import { hostPort } from "../url";

export interface ReadinessInputs extends Connection {
  readonly timeoutSeconds: number;
  /** Any value that changes when the server is replaced (e.g. the container id); a change waits again. */
  readonly revision?: string;
}

export interface ReadinessState extends ReadinessInputs {
  /** `server_version` at the last successful check. */
  readonly serverVersion: string;
}

const WATCHED = [...CONNECTION_KEYS, "timeoutSeconds", "revision"];

export const readinessProvider: pulumi.dynamic.ResourceProvider<ReadinessInputs, ReadinessState> = {
  async create(inputs) {
    const { serverVersion } = await waitForServer(inputs, Number(inputs.timeoutSeconds));
    return { id: `${inputs.user}@${hostPort(inputs)}/${inputs.database}`, outs: { ...inputs, serverVersion } };
  },
  async diff(_id, olds, news) {
    return { changes: changedKeys(olds as never, news as never, WATCHED).length > 0 };
  },
  async update(_id, _olds, news) {
    const { serverVersion } = await waitForServer(news, Number(news.timeoutSeconds));
    return { outs: { ...news, serverVersion } };
  },
  async delete() {
    // Nothing to undo: waiting created nothing.
  },
};

export interface ServerReadinessArgs extends ConnectionArgs {
  readonly timeoutSeconds: pulumi.Input<number>;
  readonly revision?: pulumi.Input<string>;
}

/** Waits for the server on create and update; its outputs are the connection settings to use after that. */
export class ServerReadiness extends ConnectedResource {
  declare readonly host: pulumi.Output<string>;
  declare readonly port: pulumi.Output<number>;
  declare readonly database: pulumi.Output<string>;
  declare readonly user: pulumi.Output<string>;
  declare readonly password: pulumi.Output<string>;
  declare readonly tls: pulumi.Output<ConnectionTls | undefined>;
  declare readonly serverVersion: pulumi.Output<string>;

  constructor(name: string, args: ServerReadinessArgs, opts?: pulumi.CustomResourceOptions) {
    // serverVersion is an output only; naming it among the inputs makes the property exist on the resource.
    super(readinessProvider, name, { ...args, serverVersion: undefined } as ServerReadinessArgs, opts);
  }
}
