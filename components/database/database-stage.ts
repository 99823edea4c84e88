/**
 * The database stage: what the seed's init script did, as resources. Waits for the server, then the timescaledb
 * extension, the schema, the seed's grants to the superuser, least-privilege writer and reader roles with their grants
 * and default privileges, one hypertable resource per table and one resource per policy (compression, retention,
 * reorder) per table.
 */
import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import * as random from "@pulumi/random";
import { CRYPTO_SCOUT_TABLES, DEFAULT_SCHEMA, hypertableSpec, sequenceNames, validateModel, validateSchemaName, type TableSpec } from "./model";
import { tablePolicies } from "./sql";
import { ServerReadiness } from "./providers/readiness";
import { Hypertable } from "./providers/hypertable";
import { TimescalePolicy } from "./providers/policy";
import { applyTransform, type Transform } from "../transform";
import { databaseUrl } from "./url";

export interface DatabaseStageArgs {
  /**
   * Address to connect to from the machine running Pulumi: the server's configured bind address (loopback when it is
   * bound to every interface). Known at preview.
   * @default none (required)
   * @example "127.0.0.1"
   */
  readonly host: pulumi.Input<string>;
  /**
   * The published host port. Known at preview.
   * @default none (required)
   * @example 5432
   */
  readonly port: pulumi.Input<number>;
  /**
   * The database the schema lives in.
   * @default "crypto_scout"
   */
  readonly database?: pulumi.Input<string>;
  /**
   * The superuser the server was initialised with; it connects, owns the schema and tables, and keeps the seed's
   * grants.
   * @default "crypto_scout_db"
   */
  readonly superuser?: pulumi.Input<string>;
  /**
   * The superuser's password. Pass a secret; it is kept secret in every resource's state.
   * @default none (required)
   */
  readonly superuserPassword: pulumi.Input<string>;
  /**
   * Schema of the tables.
   * @default "crypto_scout"
   */
  readonly schema?: string;
  /**
   * The table model, after the stack's overrides (`applyTableOverrides`).
   * @default CRYPTO_SCOUT_TABLES
   */
  readonly tables?: readonly TableSpec[];
  /**
   * Let `pulumi destroy` (or a replacement) drop the tables with their rows, and the schema. Off: destroy removes the
   * policies, grants and roles, and leaves schema, tables and rows in place for a later `pulumi up` to adopt.
   * @default false
   */
  readonly destroyDropsTables?: boolean;
  /**
   * Bound, in seconds, on waiting for the server to accept connections with the superuser's credentials.
   * @default 300
   */
  readonly readyTimeoutSeconds?: number;
  /**
   * Resources to wait for before the first connection attempt, e.g. the server component or its container. The
   * component's own `dependsOn` option is honoured the same way.
   * @default []
   */
  readonly dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource>;
  /**
   * A value that changes whenever the server is replaced (e.g. the container id), so readiness is checked again.
   * @default undefined (readiness is checked on create and when the address or credentials change)
   */
  readonly serverRevision?: pulumi.Input<string>;
  /**
   * Login role with INSERT and SELECT on the tables and USAGE, SELECT on their sequences (the collector).
   * @default `${schema}_writer`
   */
  readonly writerRole?: string;
  /**
   * Login role with SELECT on the tables (analysis).
   * @default `${schema}_reader`
   */
  readonly readerRole?: string;
  /**
   * Adjust a child's args before it is created, e.g. TLS for a remote server or a connection limit for a role.
   * @example { provider: { sslmode: "require" }, role: (args) => { args.connectionLimit = 20; } }
   */
  readonly transform?: {
    readonly provider?: Transform<postgresql.ProviderArgs>;
    readonly role?: Transform<postgresql.RoleArgs>;
  };
}

/** Privilege lists, sorted (the provider compares them as sets), explicit except where the read-back needs ALL. */
export const PRIVILEGES = {
  superuser: {
    schema: ["CREATE", "USAGE"],
    // ALL, as the seed grants it. Not the list: on PostgreSQL 17 the owner also holds MAINTAIN, which the provider's
    // read reports, so a list without it diffs on every second up (cyrilgdn/terraform-provider-postgresql ff936b9,
    // postgresql/resource_postgresql_grant.go readRolePrivileges 433-537, createRevokeQuery 656-669); the provider
    // expands ALL per server version (helpers.go resourcePrivilegesEqual 300-322).
    table: ["ALL"],
    sequence: ["SELECT", "UPDATE", "USAGE"],
  },
  writer: { schema: ["USAGE"], table: ["INSERT", "SELECT"], sequence: ["SELECT", "USAGE"] },
  reader: { schema: ["USAGE"], table: ["SELECT"] },
} as const;

export class DatabaseStage extends pulumi.ComponentResource {
  public readonly readiness: ServerReadiness;
  public readonly provider: postgresql.Provider;
  public readonly hypertables: Readonly<Record<string, Hypertable>>;
  public readonly policies: readonly TimescalePolicy[];
  public readonly schemaName: pulumi.Output<string>;
  public readonly writerRole: pulumi.Output<string>;
  /** Secret. */
  public readonly writerPassword: pulumi.Output<string>;
  public readonly readerRole: pulumi.Output<string>;
  /** Secret. */
  public readonly readerPassword: pulumi.Output<string>;
  /** `postgresql://writer:password@host:port/database`, secret. */
  public readonly writerConnectionUrl: pulumi.Output<string>;
  /** `postgresql://reader:password@host:port/database`, secret. */
  public readonly readerConnectionUrl: pulumi.Output<string>;

  constructor(name: string, args: DatabaseStageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("crypto-scout:database:DatabaseStage", name, {}, opts);
    const schema = validateSchemaName("schema", args.schema ?? DEFAULT_SCHEMA);
    const tables = args.tables ?? CRYPTO_SCOUT_TABLES;
    validateModel(tables);
    const writerRoleName = validateSchemaName("writerRole", args.writerRole ?? `${schema}_writer`);
    const readerRoleName = validateSchemaName("readerRole", args.readerRole ?? `${schema}_reader`);
    if (readerRoleName === writerRoleName) throw new Error(`DatabaseStage ${name}: writerRole and readerRole must differ (both ${writerRoleName})`);
    const dropTables = args.destroyDropsTables ?? false;
    const superuser = args.superuser ?? "crypto_scout_db";
    // The component's own dependsOn and args.dependsOn both gate the first connection attempt.
    const dependsOn: pulumi.Input<pulumi.Resource>[] = [];
    for (const d of [opts?.dependsOn, args.dependsOn]) {
      if (Array.isArray(d)) dependsOn.push(...d);
      else if (d !== undefined) dependsOn.push(d as pulumi.Input<pulumi.Resource>);
    }

    // Nothing below connects before this has: every connection setting is one of its outputs.
    this.readiness = new ServerReadiness(
      `${name}-ready`,
      {
        host: args.host,
        port: args.port,
        database: args.database ?? "crypto_scout",
        user: superuser,
        password: pulumi.secret(args.superuserPassword),
        timeoutSeconds: args.readyTimeoutSeconds ?? 300,
        revision: args.serverRevision,
      },
      { parent: this, dependsOn },
    );
    const ready = this.readiness;
    const connection = { host: ready.host, port: ready.port, database: ready.database, user: ready.user, password: ready.password };

    this.provider = new postgresql.Provider(
      ...applyTransform(args.transform?.provider, `${name}-provider`, {
        host: ready.host,
        port: ready.port,
        database: ready.database,
        username: ready.user,
        password: pulumi.secret(ready.password),
        sslmode: "disable",
        superuser: true,
        connectTimeout: 15,
      }, { parent: this }),
    );
    const pg = { parent: this, provider: this.provider };

    // The image already creates the extension; IF NOT EXISTS adopts it. Never dropped: dropping it takes every
    // hypertable with it.
    const extension = new postgresql.Extension(`${name}-timescaledb`, { name: "timescaledb", database: ready.database }, { ...pg, retainOnDelete: true });
    const schemaResource = new postgresql.Schema(
      `${name}-schema`,
      { name: schema, database: ready.database, owner: superuser, ifNotExists: true, dropCascade: false },
      { ...pg, dependsOn: [extension], retainOnDelete: !dropTables },
    );
    this.schemaName = schemaResource.name;

    const hypertables: Record<string, Hypertable> = {};
    const policies: TimescalePolicy[] = [];
    for (const table of tables) {
      const hypertable = new Hypertable(
        `${name}-hypertable-${table.name}`,
        { ...connection, schema, table: hypertableSpec(table), destroyDropsTables: dropTables },
        { parent: this, dependsOn: [extension, schemaResource] },
      );
      hypertables[table.name] = hypertable;
      for (const policy of tablePolicies(table)) {
        policies.push(
          new TimescalePolicy(`${name}-${policy.kind}-${table.name}`, { ...connection, schema, table: table.name, policy }, { parent: this, dependsOn: [hypertable] }),
        );
      }
    }
    this.hypertables = hypertables;
    this.policies = policies;
    const covered = [schemaResource, ...Object.values(hypertables)];
    const tableNames = tables.map((t) => t.name);
    const sequences = tables.flatMap(sequenceNames);

    // Grants on the same kind of object run one after another. The postgresql provider locks per role only, and two
    // GRANTs that rewrite the same catalog row (the schema's nspacl, the tables' relacl, one pg_default_acl row) in
    // parallel fail intermittently with "tuple concurrently updated" (cyrilgdn/terraform-provider-postgresql#178,
    // pulumi/pulumi-postgresql#126). Kinds that touch different rows still run in parallel.
    const lastOfKind = new Map<string, pulumi.Resource>();
    const chained = (kind: string, after: pulumi.Resource[]): pulumi.Resource[] => {
      const previous = lastOfKind.get(kind);
      return previous ? [...after, previous] : after;
    };
    const grant = (suffix: string, role: pulumi.Input<string>, objectType: "schema" | "table" | "sequence", privileges: readonly string[]) => {
      const resource = new postgresql.Grant(
        `${name}-${suffix}`,
        {
          database: ready.database,
          role,
          schema,
          objectType,
          privileges: [...privileges],
          objects: objectType === "table" ? tableNames : objectType === "sequence" ? sequences : undefined,
          withGrantOption: false,
        },
        { ...pg, dependsOn: chained(objectType, covered) },
      );
      lastOfKind.set(objectType, resource);
      return resource;
    };
    const defaults = (suffix: string, role: pulumi.Input<string>, objectType: "table" | "sequence", privileges: readonly string[]) => {
      const kind = `default-${objectType}`;
      const resource = new postgresql.DefaultPrivileges(
        `${name}-${suffix}`,
        { database: ready.database, owner: superuser, role, schema, objectType, privileges: [...privileges], withGrantOption: false },
        // Its identity (owner, schema, type, role) is all ForceNew: a replacement creating the new one first would
        // then lose it to the old one's REVOKE ALL (resource_postgresql_default_privileges.go 23-76, 348-354).
        { ...pg, dependsOn: chained(kind, [schemaResource]), deleteBeforeReplace: true },
      );
      lastOfKind.set(kind, resource);
      return resource;
    };

    // The seed's grants to the superuser (it owns everything already; kept so the adopted database looks the same).
    grant("superuser-schema", superuser, "schema", PRIVILEGES.superuser.schema);
    grant("superuser-tables", superuser, "table", PRIVILEGES.superuser.table);
    grant("superuser-sequences", superuser, "sequence", PRIVILEGES.superuser.sequence);

    const writerPassword = new random.RandomPassword(`${name}-writer-password`, { length: 32, special: false }, { parent: this });
    const readerPassword = new random.RandomPassword(`${name}-reader-password`, { length: 32, special: false }, { parent: this });
    const role = (suffix: string, roleName: string, password: pulumi.Output<string>) =>
      new postgresql.Role(
        ...applyTransform(args.transform?.role, `${name}-${suffix}`, {
          name: roleName,
          login: true,
          password: pulumi.secret(password),
          superuser: false,
          createDatabase: false,
          createRole: false,
          replication: false,
          bypassRowLevelSecurity: false,
          inherit: true,
        }, { ...pg }),
      );
    const writer = role("writer", writerRoleName, writerPassword.result);
    const reader = role("reader", readerRoleName, readerPassword.result);

    grant("writer-schema", writer.name, "schema", PRIVILEGES.writer.schema);
    grant("writer-tables", writer.name, "table", PRIVILEGES.writer.table);
    grant("writer-sequences", writer.name, "sequence", PRIVILEGES.writer.sequence);
    grant("reader-schema", reader.name, "schema", PRIVILEGES.reader.schema);
    grant("reader-tables", reader.name, "table", PRIVILEGES.reader.table);
    // Tables (and their sequences) added to the model later get the same privileges when the superuser creates them.
    defaults("writer-default-tables", writer.name, "table", PRIVILEGES.writer.table);
    defaults("writer-default-sequences", writer.name, "sequence", PRIVILEGES.writer.sequence);
    defaults("reader-default-tables", reader.name, "table", PRIVILEGES.reader.table);

    this.writerRole = writer.name;
    this.readerRole = reader.name;
    this.writerPassword = pulumi.secret(writerPassword.result);
    this.readerPassword = pulumi.secret(readerPassword.result);
    const url = (user: pulumi.Input<string>, password: pulumi.Input<string>) =>
      pulumi.secret(
        pulumi
          .all([user, password, args.host, args.port, args.database ?? "crypto_scout"])
          .apply(([u, p, h, port, db]) => databaseUrl({ user: u, password: p, host: h, port, database: db })),
      );
    this.writerConnectionUrl = url(this.writerRole, this.writerPassword);
    this.readerConnectionUrl = url(this.readerRole, this.readerPassword);

    this.registerOutputs({
      schemaName: this.schemaName,
      writerRole: this.writerRole,
      writerPassword: this.writerPassword,
      readerRole: this.readerRole,
      readerPassword: this.readerPassword,
      writerConnectionUrl: this.writerConnectionUrl,
      readerConnectionUrl: this.readerConnectionUrl,
    });
  }
}
