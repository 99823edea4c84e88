/**
 * A login role that is adopted when it exists and created when it does not: what external mode (issue 10) needs
 * where the postgresql provider's `postgresql.Role` cannot help. Its create is a bare CREATE ROLE, which fails on a
 * role that exists (cyrilgdn/terraform-provider-postgresql ff936b9 postgresql/resource_postgresql_role.go
 * resourcePostgreSQLRoleCreate), and a managed server (Tiger Cloud's tsdbadmin, any platform team's database) may
 * well have the writer and reader already, from an earlier stack or a restore. Local stacks keep `postgresql.Role`:
 * switching a resource's type in place would delete and re-create their roles.
 *
 * Written for a connecting role that is not a superuser but has CREATEROLE (PostgreSQL 16+ rules, src/backend/
 * commands/user.c): CREATE ROLE with NOSUPERUSER and friends is allowed; ALTER ROLE may not even mention SUPERUSER,
 * REPLICATION or BYPASSRLS ("Only roles with the SUPERUSER attribute may change the SUPERUSER attribute"), so an
 * adopted role is altered only in the attributes that differ, and a role that is a superuser, or one the connecting
 * role has no ADMIN OPTION on, is refused with what to do.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Client } from "pg";
import { ConnectedResource, type ConnectionArgs } from "./connection";
import { changedKeys, CONNECTION_KEYS, withClient, type Connection } from "./live";
import { isScramVerifier } from "../scram";

/** The attributes this resource sets; every other one stays as PostgreSQL's default for a new role. */
export interface RoleAttributes {
  readonly login: boolean;
  readonly inherit: boolean;
  /** -1: no limit. */
  readonly connectionLimit: number;
}

export interface DatabaseRoleInputs extends Connection {
  readonly name: string;
  /** The role's SCRAM-SHA-256 verifier (role-verifier.ts). The password itself is neither needed nor kept here. */
  readonly passwordVerifier: string;
  readonly attributes: RoleAttributes;
}

/** pg_roles columns for the attributes, and the keyword pair that sets each. */
const FLAGS = [
  ["rolcanlogin", "login", "LOGIN", "NOLOGIN"],
  ["rolinherit", "inherit", "INHERIT", "NOINHERIT"],
] as const;
/** Attributes a managed role never has; a role that has one is not adopted (only a superuser may change them). */
const PRIVILEGED = ["rolsuper", "rolreplication", "rolbypassrls"] as const;

/** The statements that make role `name` exist with `attributes` and the password; [] for nothing to do but the password. */
export async function planRole(client: Client, name: string, attributes: RoleAttributes): Promise<{ exists: boolean; statements: string[] }> {
  const { escapeIdentifier } = require("pg") as typeof import("pg");
  const role = escapeIdentifier(name);
  const live = (
    await client.query(
      "SELECT rolcanlogin, rolinherit, rolconnlimit, rolsuper, rolreplication, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_catalog.pg_roles WHERE rolname = $1",
      [name],
    )
  ).rows[0] as Record<string, unknown> | undefined;
  if (!live) {
    const flags = FLAGS.map(([, key, yes, no]) => (attributes[key] ? yes : no));
    return {
      exists: false,
      statements: [`CREATE ROLE ${role} WITH ${flags.join(" ")} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${Number(attributes.connectionLimit)}`],
    };
  }
  const privileged = PRIVILEGED.filter((c) => live[c] === true);
  if (privileged.length > 0) {
    throw new Error(`role ${name} exists with ${privileged.join(", ")}: a writer or reader role must not have these, and only a superuser can take them away (ALTER ROLE ${name} NO${privileged[0].slice(3).toUpperCase()} as a superuser, or choose another role name)`);
  }
  const changes: string[] = FLAGS.filter(([col, key]) => live[col] !== attributes[key]).map(([, key, yes, no]) => (attributes[key] ? yes : no));
  if (live.rolcreaterole === true) changes.push("NOCREATEROLE");
  if (live.rolcreatedb === true) changes.push("NOCREATEDB");
  if (Number(live.rolconnlimit) !== Number(attributes.connectionLimit)) changes.push(`CONNECTION LIMIT ${Number(attributes.connectionLimit)}`);
  return { exists: true, statements: changes.length > 0 ? [`ALTER ROLE ${role} WITH ${changes.join(" ")}`] : [] };
}

/**
 * Creates or adopts the role and sets its password from `verifier`, a SCRAM-SHA-256 verifier that PostgreSQL stores
 * as it is (src/backend/libpq/crypt.c encrypt_password), so the statement text (pg_stat_statements, the server log)
 * never holds the password. Anything else is refused before a statement is sent, without being quoted.
 */
export async function applyRole(client: Client, name: string, verifier: string, attributes: RoleAttributes): Promise<{ adopted: boolean }> {
  const { escapeIdentifier, escapeLiteral } = require("pg") as typeof import("pg");
  if (!isScramVerifier(verifier)) throw new Error(`role ${name}: the password must be given as a SCRAM-SHA-256 verifier (SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>), never in clear`);
  const plan = await planRole(client, name, attributes);
  const statements = [...plan.statements, `ALTER ROLE ${escapeIdentifier(name)} WITH PASSWORD ${escapeLiteral(verifier)}`];
  try {
    for (const s of statements) await client.query(s);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === "42501") {
      // Not a superuser and no ADMIN OPTION on a role someone else created (PostgreSQL 16+).
      err.message = `cannot ${plan.exists ? "adopt" : "create"} role ${name}: ${err.message} (the connecting role needs CREATEROLE${plan.exists ? `, and ADMIN OPTION on ${name}: GRANT ${name} TO <connecting role> WITH ADMIN OPTION, run by its creator or a superuser` : ""})`;
    }
    throw err;
  }
  return { adopted: plan.exists };
}

/** Drops the role. Its grants and default privileges are resources that depend on it, so they are gone by now. */
export async function dropRole(client: Client, name: string): Promise<void> {
  const { escapeIdentifier } = require("pg") as typeof import("pg");
  try {
    await client.query(`DROP ROLE IF EXISTS ${escapeIdentifier(name)}`);
  } catch (e) {
    const err = e as Error;
    err.message = `cannot drop role ${name}: ${err.message} (it still holds privileges or owns objects that this stack does not manage; REVOKE or REASSIGN them, then run again)`;
    throw err;
  }
}

export interface DatabaseRoleState extends DatabaseRoleInputs {
  /** Whether the role existed when this resource was created (and was adopted rather than created). */
  readonly adopted: boolean;
}

export const databaseRoleProvider: pulumi.dynamic.ResourceProvider<DatabaseRoleInputs, DatabaseRoleState> = {
  async create(inputs) {
    const { adopted } = await withClient(inputs, (client) => applyRole(client, inputs.name, inputs.passwordVerifier, inputs.attributes));
    return { id: inputs.name, outs: { ...inputs, adopted } };
  },

  async diff(_id, olds, news) {
    if (olds.name !== news.name) return { changes: true, replaces: ["name"], deleteBeforeReplace: true };
    // A state written before verifiers has `rolePassword` (the password in clear) and no `passwordVerifier`: that is
    // a change, and the update sets the verifier of the same password (logins keep working) and drops the old key.
    return { changes: changedKeys(olds as never, news as never, [...CONNECTION_KEYS, "passwordVerifier", "attributes"]).length > 0 };
  },

  async update(_id, olds, news) {
    await withClient(news, (client) => applyRole(client, news.name, news.passwordVerifier, news.attributes));
    // Only the new inputs: a `rolePassword` left in the old state is not carried over.
    return { outs: { ...news, adopted: olds.adopted } };
  },

  async delete(_id, props) {
    await withClient(props, (client) => dropRole(client, props.name));
  },
};

export interface DatabaseRoleArgs extends ConnectionArgs {
  readonly name: pulumi.Input<string>;
  /** The role's own password as a SCRAM-SHA-256 verifier (secret; `roleVerifier`); `password` is the connecting role's. */
  readonly passwordVerifier: pulumi.Input<string>;
  readonly attributes: pulumi.Input<RoleAttributes>;
}

/** A login role on a server this stack does not own as superuser: adopted if it exists, created otherwise. */
export class DatabaseRole extends ConnectedResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly adopted: pulumi.Output<boolean>;

  constructor(name: string, args: DatabaseRoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      databaseRoleProvider,
      name,
      { ...args, passwordVerifier: pulumi.secret(args.passwordVerifier), adopted: undefined } as DatabaseRoleArgs,
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "passwordVerifier"] },
    );
  }
}
