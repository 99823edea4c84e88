/**
 * What the postgresql provider (a Go binary, not runnable here) sends for a `postgresql.Role`, and how it reads the
 * password back, written out from its source: cyrilgdn/terraform-provider-postgresql ff936b9 (the upstream of
 * @pulumi/postgresql 3.18.1, pulumi/pulumi-postgresql's `upstream` submodule), postgresql/resource_postgresql_role.go.
 * Tests hand it the inputs the program records under mocks, and run the statements on a real server.
 */
import { createHash } from "node:crypto";
import type { Client } from "pg";

/** Quoting as the provider does it: lib/pq's QuoteIdentifier, and helpers.go pqQuoteLiteral (51-55). */
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string) => s.replace(/\\/g, "\\\\").replace(/'/g, "''");

/** A `postgresql.Role`'s inputs as recorded (secrets unwrapped), with the schema's defaults (46-199) for the rest. */
export interface RecordedRoleInputs {
  readonly name: string;
  readonly password?: string;
  readonly login?: boolean;
  readonly superuser?: boolean;
  readonly createDatabase?: boolean;
  readonly createRole?: boolean;
  readonly inherit?: boolean;
  readonly replication?: boolean;
  readonly bypassRowLevelSecurity?: boolean;
  readonly connectionLimit?: number;
  readonly encryptedPassword?: boolean;
  readonly validUntil?: string;
  readonly roles?: readonly string[];
  readonly searchPaths?: readonly string[];
  readonly statementTimeout?: number;
  readonly idleInTransactionSessionTimeout?: number;
  readonly assumeRole?: string;
}

/**
 * resourcePostgreSQLRoleCreate (200-380), for a server of PostgreSQL 9.5 or later (featureCreateRoleWith, featureRLS,
 * featureReplication all on): one transaction of CREATE ROLE, then grantRoles (1031-1043), alterSearchPath
 * (1045-1070, always), and the timeouts and assumed role when set (1072-1145, only on a change from the default).
 */
export function providerCreateRoleStatements(r: RecordedRoleInputs): string[] {
  const opts: string[] = [];
  if (r.password) {
    if (r.password.toUpperCase() === "NULL") opts.push("PASSWORD NULL");
    else opts.push(r.encryptedPassword === false ? "UNENCRYPTED" : "ENCRYPTED", `PASSWORD '${literal(r.password)}'`);
  }
  const validUntil = r.validUntil ?? "infinity";
  opts.push(`VALID UNTIL '${validUntil === "" || validUntil.toLowerCase() === "infinity" ? "infinity" : literal(validUntil)}'`);
  opts.push(`CONNECTION LIMIT ${r.connectionLimit ?? -1}`);
  const flag = (v: boolean | undefined, dflt: boolean, yes: string, no: string) => ((v ?? dflt) ? yes : no);
  opts.push(
    flag(r.superuser, false, "SUPERUSER", "NOSUPERUSER"),
    flag(r.createDatabase, false, "CREATEDB", "NOCREATEDB"),
    flag(r.createRole, false, "CREATEROLE", "NOCREATEROLE"),
    flag(r.inherit, true, "INHERIT", "NOINHERIT"),
    flag(r.login, false, "LOGIN", "NOLOGIN"),
    flag(r.bypassRowLevelSecurity, false, "BYPASSRLS", "NOBYPASSRLS"),
    flag(r.replication, false, "REPLICATION", "NOREPLICATION"),
  );
  const role = ident(r.name);
  const statements = [`CREATE ROLE ${role} WITH ${opts.join(" ")}`];
  for (const granted of r.roles ?? []) statements.push(`GRANT ${ident(granted)} TO ${role}`);
  const searchPath = (r.searchPaths ?? []).length > 0 ? (r.searchPaths ?? []).map(ident).join(", ") : "DEFAULT";
  statements.push(`ALTER ROLE ${role} SET search_path TO ${searchPath}`);
  if (r.statementTimeout) statements.push(`ALTER ROLE ${role} SET statement_timeout TO ${r.statementTimeout}`);
  if (r.idleInTransactionSessionTimeout) statements.push(`ALTER ROLE ${role} SET idle_in_transaction_session_timeout TO ${r.idleInTransactionSessionTimeout}`);
  if (r.assumeRole) statements.push(`ALTER ROLE ${role} SET ROLE TO ${ident(r.assumeRole)}`);
  return statements;
}

/** setRolePassword (781-811), what an update of `password` sends. */
export function providerSetPasswordStatement(name: string, password: string): string {
  return `ALTER ROLE ${ident(name)} PASSWORD '${literal(password)}'`;
}

/** Runs statements in one transaction, as the provider's create and update do (startTransaction ... Commit). */
export async function inTransaction(client: Client, statements: readonly string[]): Promise<void> {
  await client.query("BEGIN");
  try {
    for (const s of statements) await client.query(s);
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK");
    throw e;
  }
}

/**
 * readRolePassword (610-669): the password the provider records after create, update and refresh. With
 * `superuser: false` (or a role that cannot log in) the state's value as it is; otherwise pg_shadow's passwd, except
 * that a state password in clear is kept when the server holds a SCRAM-SHA-256 verifier (it cannot check one).
 */
export async function providerReadRolePassword(client: Client, name: string, statePassword: string, superuser: boolean, canLogin = true): Promise<string> {
  if (!canLogin || !superuser) return statePassword;
  const rows = (await client.query<{ passwd: string }>("SELECT COALESCE(passwd, '') AS passwd FROM pg_catalog.pg_shadow AS s WHERE s.usename = $1", [name])).rows;
  if (rows.length === 0) return "";
  const rolePassword = rows[0].passwd;
  if (statePassword !== "" && !statePassword.startsWith("md5") && !statePassword.startsWith("SCRAM-SHA-256")) {
    if (rolePassword.startsWith("md5") && `md5${createHash("md5").update(statePassword + name).digest("hex")}` === rolePassword) return statePassword;
    if (rolePassword.startsWith("SCRAM-SHA-256")) return statePassword;
  }
  return rolePassword;
}
