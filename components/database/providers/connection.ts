/**
 * What the dynamic resources here share: connection inputs, and the rule that the password is a secret in the inputs
 * and in the state. Kept out of live.ts, which Pulumi serializes with the providers.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse } from "pg-connection-string";
import type { Connection } from "./live";

/** Connection inputs of a dynamic resource. */
export type ConnectionArgs = { readonly [K in keyof Connection]: pulumi.Input<Connection[K]> };

/** A dynamic resource that connects with a password: the password goes in as a secret and stays one in state. */
export abstract class ConnectedResource extends pulumi.dynamic.Resource {
  protected constructor(provider: pulumi.dynamic.ResourceProvider, name: string, args: ConnectionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...(args as pulumi.Inputs), password: pulumi.secret(args.password) },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password"] },
    );
  }
}

/** Parses `postgresql://user:password@host:port/database` (pg's own parser); errors say what is expected. */
export function parseDatabaseUrl(url: string, name = "database URL"): Connection {
  const expected = "postgresql://user:password@host:port/database";
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`${name} must look like ${expected}`);
  const c = parse(url);
  if (!c.host || !c.user) throw new Error(`${name} must look like ${expected} (got host ${c.host || "none"}, user ${c.user || "none"})`);
  return {
    host: c.host,
    port: Number(c.port || 5432),
    database: c.database || "postgres",
    user: c.user,
    password: c.password ?? "",
  };
}
