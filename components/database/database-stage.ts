/**
 * The database stage: what the seed's init script did, as resources. Waits for the server, then the timescaledb
 * extension, the schema, the seed's grants to the superuser, least-privilege writer and reader roles with their grants
 * and default privileges, one hypertable resource per table and one resource per policy (compression, retention,
 * reorder) per table.
 */
import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import * as random from "@pulumi/random";
import { CRYPTO_SCOUT_TABLES, DEFAULT_SCHEMA, hypertableSpec, sequenceNames, sqlIdentifier, validateModel, type TableSpec } from "./model";
import { tablePolicies } from "./sql";
import { ServerReadiness } from "./providers/readiness";
import { Hypertable } from "./providers/hypertable";
import { TimescalePolicy } from "./providers/policy";
import { CandleAggregate, CandlePolicyResource, candlePolicies } from "./providers/candles";
import { modelCandles, type CandleSpec } from "./candles";
import { applyTransform, type Transform } from "../transform";
import { databaseUrl } from "./url";
import { monitoringPrivileges } from "./monitoring";
import { BackupAgeFunction, PitrStatusFunction } from "./providers/monitoring-function";
import { ArgumentChecks, port, wholeNumber } from "../args";
import type { ConnectionArgs } from "./providers/connection";
import type { ConnectionTls } from "./providers/live";
import { DatabaseRole } from "./providers/role";
import { providerTls } from "../config/external";
import { roleVerifier } from "./role-verifier";

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
   * The role the stage connects as; it owns the schema, the tables and the default privileges. For the local
   * container the superuser the server was initialised with (which also keeps the seed's grants); for an external
   * server the URL's user (see `connectsAs`).
   * @default "crypto_scout_db"
   * @example "tsdbadmin"
   */
  readonly superuser?: pulumi.Input<string>;
  /**
   * That role's password. Pass a secret; it is kept secret in every resource's state.
   * @default none (required)
   */
  readonly superuserPassword: pulumi.Input<string>;
  /**
   * What the connecting role is. `superuser`: the local container's superuser, as the seed. `owner`: the database
   * owner with CREATEROLE but not a superuser (Tiger Cloud's tsdbadmin, most managed PostgreSQL): the postgresql
   * provider is told so (`superuser: false`), the seed's grants to the superuser are skipped (the owner holds every
   * privilege on what it owns), and the writer and reader roles are adopted when they exist (`DatabaseRole`).
   * @default "superuser"
   */
  readonly connectsAs?: "superuser" | "owner";
  /**
   * TLS for every connection: readiness, the postgresql provider (`sslmode`, `sslrootcert`), the dynamic providers.
   * @default undefined (no TLS, the local container)
   * @example { mode: "verify-full", rootCertFile: "system" }
   */
  readonly tls?: pulumi.Input<ConnectionTls>;
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
   * A monitoring login role for the metrics exporters (pg_monitor, CONNECT, nothing on the tables; see
   * monitoring.ts), the pg_stat_statements extension (the server must preload it), and, with `backupFile`, the
   * backup-age function that role may call, and with `pitrDir` (the point-in-time archive as the server sees it,
   * read-only) the archive status function (components/monitoring/pitr-status.ts). Unset: none of these.
   * @default undefined
   * @example { role: "crypto_scout_monitor", backupFile: "/backups/last/crypto_scout-latest.dump", pitrDir: "/pitr" }
   */
  readonly monitoring?: { readonly role?: string; readonly backupFile?: string; readonly pitrDir?: string };
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

/**
 * The seed's init script as resources, on a running server: readiness, the postgresql provider, the extension and
 * schema, one hypertable and its policies per table, and the roles with their grants. Each step is a method below, in
 * the order they run.
 *
 * @example
 * const stage = new DatabaseStage("crypto-scout", {
 *   host: server.host,
 *   port: server.port,
 *   superuserPassword: server.superuserPassword,
 *   tables: applyTableOverrides("tables", { cmc_fgi: { retention: "365 days" } }),
 *   serverRevision: server.container.id,
 * }, { dependsOn: [server] });
 * export const writerUrl = stage.writerConnectionUrl;
 */
export class DatabaseStage extends pulumi.ComponentResource {
  public readonly readiness: ServerReadiness;
  public readonly provider: postgresql.Provider;
  public readonly hypertables: Readonly<Record<string, Hypertable>>;
  public readonly policies: readonly TimescalePolicy[];
  /** The candle aggregates (`<table>_candles_<interval>`, candles.ts), by name. */
  public readonly candles: Readonly<Record<string, CandleAggregate>>;
  public readonly candlePolicies: readonly CandlePolicyResource[];
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
  /** The monitoring role, when `monitoring` is set. */
  public readonly monitoringRole?: pulumi.Output<string>;
  /** Its name, known before anything is created (the exporters' environment shows it at preview). */
  public readonly monitoringRoleName?: string;
  /** Its password, secret. */
  public readonly monitoringPassword?: pulumi.Output<string>;

  constructor(name: string, args: DatabaseStageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("crypto-scout:database:DatabaseStage", name, {}, opts);
    const plan = stagePlan(new ArgumentChecks(this, `DatabaseStage "${name}"`), args);

    this.readiness = this.waitForServer(name, args, plan, opts);
    const ready = this.readiness;
    const connection: ConnectionArgs = { host: ready.host, port: ready.port, database: ready.database, user: ready.user, password: ready.password, tls: ready.tls };
    this.provider = this.postgresqlProvider(name, args);
    const pg = { parent: this, provider: this.provider };

    const { extension, schema } = this.schemaObjects(name, plan, pg);
    this.schemaName = schema.name;
    const { hypertables, policies } = this.tablesAndPolicies(name, plan, connection, [extension, schema]);
    this.hypertables = hypertables;
    this.policies = policies;
    const candles = this.candleAggregates(name, plan, connection, hypertables);
    this.candles = candles.aggregates;
    this.candlePolicies = candles.policies;
    const step: StepContext = { name, args, plan, pg, connection, schema };
    const roles = this.rolesAndGrants(step, [...Object.values(hypertables), ...Object.values(candles.aggregates)]);

    this.writerRole = roles.writer.name;
    this.readerRole = roles.reader.name;
    this.writerPassword = pulumi.secret(roles.writerPassword);
    this.readerPassword = pulumi.secret(roles.readerPassword);
    const url = (user: pulumi.Input<string>, password: pulumi.Input<string>) =>
      pulumi.secret(
        pulumi
          .all([user, password, args.host, args.port, plan.database, args.tls])
          .apply(([u, p, h, port, db, tls]) => databaseUrl({ user: u, password: p, host: h, port, database: db, tls })),
      );
    this.writerConnectionUrl = url(this.writerRole, this.writerPassword);
    this.readerConnectionUrl = url(this.readerRole, this.readerPassword);
    if (args.monitoring) {
      this.monitoringRoleName = args.monitoring.role ?? `${plan.schema}_monitor`;
      const monitoring = this.monitoringObjects(step, this.monitoringRoleName);
      this.monitoringRole = monitoring.role.name;
      this.monitoringPassword = pulumi.secret(monitoring.password);
    }

    this.registerOutputs({
      schemaName: this.schemaName,
      writerRole: this.writerRole,
      writerPassword: this.writerPassword,
      readerRole: this.readerRole,
      readerPassword: this.readerPassword,
      writerConnectionUrl: this.writerConnectionUrl,
      readerConnectionUrl: this.readerConnectionUrl,
      monitoringRole: this.monitoringRole,
      monitoringPassword: this.monitoringPassword,
    });
  }

  /**
   * 6. Monitoring: pg_stat_statements, a login role with pg_monitor and CONNECT only (monitoring.ts), and the
   * backup-age and PITR archive status functions only that role may call.
   */
  private monitoringObjects({ name, args, plan, pg, connection, schema }: StepContext, roleName: string) {
    const database = this.readiness.database;
    // Attributes and grants; each grant's database is the stage's (from readiness), not the one named here.
    const privileges = monitoringPrivileges("");
    // Needs shared_preload_libraries to answer; created in the database postgres_exporter connects to, in public.
    new postgresql.Extension(`${name}-pg-stat-statements`, { name: "pg_stat_statements", database }, { ...pg });
    const password = new random.RandomPassword(`${name}-monitoring-password`, { length: 32, special: false }, { parent: this }).result;
    const r = privileges.role;
    const role = new postgresql.Role(
      ...applyTransform(args.transform?.role, `${name}-monitoring`, {
        name: roleName,
        login: r.login,
        // The verifier, not the password (see rolesAndGrants).
        password: roleVerifier(this, `${name}-monitoring`, password),
        superuser: r.superuser,
        createDatabase: r.createDatabase,
        createRole: r.createRole,
        replication: r.replication,
        bypassRowLevelSecurity: r.bypassRowLevelSecurity,
        inherit: r.inherit,
        connectionLimit: r.connectionLimit,
        statementTimeout: r.statementTimeout,
        roles: [...r.roles],
      }, { ...pg }),
    );
    for (const g of privileges.grants) {
      new postgresql.Grant(
        `${name}-monitoring-${g.objectType}`,
        { database, role: role.name, objectType: g.objectType, schema: g.schema, objects: g.objects ? [...g.objects] : undefined, privileges: [...g.privileges], withGrantOption: false },
        { ...pg },
      );
    }
    if (args.monitoring?.backupFile) {
      new BackupAgeFunction(
        `${name}-backup-age`,
        { ...connection, schema: plan.schema, file: args.monitoring.backupFile, role: role.name },
        { parent: this, dependsOn: [schema, role] },
      );
    }
    if (args.monitoring?.pitrDir) {
      new PitrStatusFunction(
        `${name}-pitr-status`,
        { ...connection, schema: plan.schema, dir: args.monitoring.pitrDir, role: role.name },
        { parent: this, dependsOn: [schema, role] },
      );
    }
    return { role, password };
  }

  /** 1. Nothing connects before this has: every connection setting below is one of its outputs. */
  private waitForServer(name: string, args: DatabaseStageArgs, plan: StagePlan, opts?: pulumi.ComponentResourceOptions): ServerReadiness {
    // The component's own dependsOn and args.dependsOn both gate the first connection attempt.
    const dependsOn: pulumi.Input<pulumi.Resource>[] = [];
    for (const d of [opts?.dependsOn, args.dependsOn]) {
      if (Array.isArray(d)) dependsOn.push(...d);
      else if (d !== undefined) dependsOn.push(d as pulumi.Input<pulumi.Resource>);
    }
    return new ServerReadiness(
      `${name}-ready`,
      {
        host: args.host,
        port: args.port,
        database: plan.database,
        user: plan.superuser,
        password: pulumi.secret(args.superuserPassword),
        tls: args.tls,
        timeoutSeconds: args.readyTimeoutSeconds ?? 300,
        revision: args.serverRevision,
      },
      { parent: this, dependsOn },
    );
  }

  /** 2. The postgresql provider, fed from the readiness outputs. */
  private postgresqlProvider(name: string, args: DatabaseStageArgs): postgresql.Provider {
    const ready = this.readiness;
    return new postgresql.Provider(
      ...applyTransform(args.transform?.provider, `${name}-provider`, {
        host: ready.host,
        port: ready.port,
        database: ready.database,
        username: ready.user,
        password: pulumi.secret(ready.password),
        // lib/pq's sslmode and sslrootcert (a path or `system`), from the same TLS settings as every other client.
        ...providerTlsInputs(args.tls),
        // false: the provider then neither reads password hashes nor assumes it may act as any role.
        superuser: args.connectsAs !== "owner",
        connectTimeout: 15,
      }, { parent: this }),
    );
  }

  /** 3. The extension and the schema. */
  private schemaObjects(name: string, plan: StagePlan, pg: pulumi.CustomResourceOptions) {
    const database = this.readiness.database;
    // The image already creates the extension; IF NOT EXISTS adopts it. Never dropped: dropping it takes every
    // hypertable with it.
    const extension = new postgresql.Extension(`${name}-timescaledb`, { name: "timescaledb", database }, { ...pg, retainOnDelete: true });
    const schema = new postgresql.Schema(
      `${name}-schema`,
      { name: plan.schema, database, owner: plan.superuser, ifNotExists: true, dropCascade: false },
      { ...pg, dependsOn: [extension], retainOnDelete: !plan.dropTables },
    );
    return { extension, schema };
  }

  /** 4. One hypertable resource per table, and one resource per policy after it. */
  private tablesAndPolicies(name: string, plan: StagePlan, connection: ConnectionArgs, after: pulumi.Resource[]) {
    const hypertables: Record<string, Hypertable> = {};
    const policies: TimescalePolicy[] = [];
    for (const table of plan.tables) {
      const hypertable = new Hypertable(
        `${name}-hypertable-${table.name}`,
        { ...connection, schema: plan.schema, table: hypertableSpec(table), destroyDropsTables: plan.dropTables },
        { parent: this, dependsOn: after },
      );
      hypertables[table.name] = hypertable;
      for (const policy of tablePolicies(table)) {
        policies.push(
          new TimescalePolicy(`${name}-${policy.kind}-${table.name}`, { ...connection, schema: plan.schema, table: table.name, policy }, { parent: this, dependsOn: [hypertable] }),
        );
      }
    }
    return { hypertables, policies };
  }

  /**
   * 4b. Candles (candles.ts): per ticker table its continuous aggregates, finest first, each after the table (or the
   * finer aggregate) it reads, and its refresh and retention policies after it.
   */
  private candleAggregates(name: string, plan: StagePlan, connection: ConnectionArgs, hypertables: Readonly<Record<string, Hypertable>>) {
    const aggregates: Record<string, CandleAggregate> = {};
    const policies: CandlePolicyResource[] = [];
    for (const spec of plan.candles) {
      const source = aggregates[spec.source] ?? hypertables[spec.table];
      const aggregate = new CandleAggregate(
        `${name}-candles-${spec.name}`,
        {
          ...connection,
          schema: plan.schema,
          candles: { name: spec.name, interval: spec.interval, query: spec.query, definitionHash: spec.definitionHash },
          destroyDropsTables: plan.dropTables,
        },
        { parent: this, dependsOn: [source] },
      );
      aggregates[spec.name] = aggregate;
      for (const policy of candlePolicies(spec)) {
        policies.push(
          new CandlePolicyResource(`${name}-${policy.kind}-${spec.name}`, { ...connection, schema: plan.schema, candles: spec.name, policy }, { parent: this, dependsOn: [aggregate] }),
        );
      }
    }
    return { aggregates, policies };
  }

  /**
   * 5. The seed's grants to the superuser, the writer and reader roles with generated passwords (handed to the server
   * as SCRAM-SHA-256 verifiers), their grants after the tables they cover, and default privileges for tables added
   * later.
   */
  private rolesAndGrants({ name, args, plan, pg, connection, schema }: StepContext, hypertables: pulumi.Resource[]) {
    const database = this.readiness.database;
    const covered = [schema, ...hypertables];
    const tableNames = plan.tables.map((t) => t.name);
    // The reader also selects the candles (a view's name in a table grant: the provider GRANTs it, and its read-back,
    // which lists relkind 'r' only, leaves it alone, so a second up converges; postgresql/resource_postgresql_grant.go
    // readRolePrivileges, cyrilgdn/terraform-provider-postgresql ff936b9). Candles added later get SELECT through the
    // reader's default privileges on tables, which cover views.
    const readerObjects = [...tableNames, ...plan.candles.map((c) => c.name)];
    const sequences = plan.tables.flatMap(sequenceNames);
    const chains = new PrivilegeChains();
    const grant = (suffix: string, role: pulumi.Input<string>, objectType: "schema" | "table" | "sequence", privileges: readonly string[], tables = tableNames) =>
      chains.add(objectType, (after) =>
        new postgresql.Grant(
          `${name}-${suffix}`,
          {
            database,
            role,
            schema: plan.schema,
            objectType,
            privileges: [...privileges],
            objects: objectType === "table" ? tables : objectType === "sequence" ? sequences : undefined,
            withGrantOption: false,
          },
          { ...pg, dependsOn: [...covered, ...after] },
        ),
      );
    const defaults = (suffix: string, role: pulumi.Input<string>, objectType: "table" | "sequence", privileges: readonly string[]) =>
      chains.add(`default-${objectType}`, (after) =>
        new postgresql.DefaultPrivileges(
          `${name}-${suffix}`,
          { database, owner: plan.superuser, role, schema: plan.schema, objectType, privileges: [...privileges], withGrantOption: false },
          // Its identity (owner, schema, type, role) is all ForceNew: a replacement creating the new one first would
          // then lose it to the old one's REVOKE ALL (resource_postgresql_default_privileges.go 23-76, 348-354).
          { ...pg, dependsOn: [schema, ...after], deleteBeforeReplace: true },
        ),
      );
    // Each role's password reaches the server only as its SCRAM-SHA-256 verifier (role-verifier.ts), so no statement
    // text (pg_stat_statements, the server log) holds it. The postgresql provider passes the string through unchanged
    // (cyrilgdn/terraform-provider-postgresql ff936b9 postgresql/resource_postgresql_role.go: create 214-221 and
    // 288-298, `ENCRYPTED PASSWORD '<value>'`; update setRolePassword 781-811, `ALTER ROLE .. PASSWORD '<value>'`),
    // and PostgreSQL stores a verifier as it is (src/backend/libpq/crypt.c encrypt_password). Its read
    // (readRolePassword 610-669) hands back pg_shadow's passwd when the connecting role is a superuser and the state
    // holds a SCRAM-SHA-256 string: the same verifier, so a second `up` shows no diff. A stack whose state still holds
    // the password in clear sees one in-place update of `password` (not ForceNew, 63-69; ALTER ROLE .. PASSWORD
    // '<verifier>'); the password itself is unchanged, so logins keep working. With `superuser: false` the read
    // returns the state as it is. test/database/role-passwords.test.ts runs these statements on a real server.
    const role = (suffix: string, roleName: string, password: pulumi.Output<string>): { name: pulumi.Output<string> } =>
      plan.owner
        ? // A server this stack does not own as superuser may have the role already: adopt it (providers/role.ts).
          new DatabaseRole(
            `${name}-${suffix}`,
            { ...connection, name: roleName, passwordVerifier: roleVerifier(this, `${name}-${suffix}`, password), attributes: { login: true, inherit: true, connectionLimit: -1 } },
            { parent: this, dependsOn: [this.readiness] },
          )
        : new postgresql.Role(
        ...applyTransform(args.transform?.role, `${name}-${suffix}`, {
          name: roleName,
          login: true,
          password: roleVerifier(this, `${name}-${suffix}`, password),
          superuser: false,
          createDatabase: false,
          createRole: false,
          replication: false,
          bypassRowLevelSecurity: false,
          inherit: true,
        }, { ...pg }),
      );

    // The seed's grants to the superuser (it owns everything already; kept so the adopted database looks the same).
    // An owner that is not a superuser holds them by ownership: granting them again would only add ACL entries.
    if (!plan.owner) {
      grant("superuser-schema", plan.superuser, "schema", PRIVILEGES.superuser.schema);
      grant("superuser-tables", plan.superuser, "table", PRIVILEGES.superuser.table);
      grant("superuser-sequences", plan.superuser, "sequence", PRIVILEGES.superuser.sequence);
    }

    const writerPassword = new random.RandomPassword(`${name}-writer-password`, { length: 32, special: false }, { parent: this }).result;
    const readerPassword = new random.RandomPassword(`${name}-reader-password`, { length: 32, special: false }, { parent: this }).result;
    const writer = role("writer", plan.writerRole, writerPassword);
    const reader = role("reader", plan.readerRole, readerPassword);

    grant("writer-schema", writer.name, "schema", PRIVILEGES.writer.schema);
    grant("writer-tables", writer.name, "table", PRIVILEGES.writer.table);
    grant("writer-sequences", writer.name, "sequence", PRIVILEGES.writer.sequence);
    grant("reader-schema", reader.name, "schema", PRIVILEGES.reader.schema);
    grant("reader-tables", reader.name, "table", PRIVILEGES.reader.table, readerObjects);
    // Tables (and their sequences) added to the model later get the same privileges when the superuser creates them.
    defaults("writer-default-tables", writer.name, "table", PRIVILEGES.writer.table);
    defaults("writer-default-sequences", writer.name, "sequence", PRIVILEGES.writer.sequence);
    defaults("reader-default-tables", reader.name, "table", PRIVILEGES.reader.table);
    return { writer, reader, writerPassword, readerPassword };
  }
}

/**
 * Grants on the same kind of object run one after another. The postgresql provider locks per role only, and two
 * GRANTs that rewrite the same catalog row (the schema's nspacl, the tables' relacl, one pg_default_acl row) in
 * parallel fail intermittently with "tuple concurrently updated" (cyrilgdn/terraform-provider-postgresql#178,
 * pulumi/pulumi-postgresql#126). Kinds that touch different rows still run in parallel.
 */
class PrivilegeChains {
  private readonly last = new Map<string, pulumi.Resource>();

  /** Creates the next resource of `kind`, waiting for the previous one of that kind. */
  add<R extends pulumi.Resource>(kind: string, create: (after: pulumi.Resource[]) => R): R {
    const previous = this.last.get(kind);
    const resource = create(previous ? [previous] : []);
    this.last.set(kind, resource);
    return resource;
  }
}

/** What the steps after the schema share: names, arguments, the provider options, the connection, the schema. */
interface StepContext {
  readonly name: string;
  readonly args: DatabaseStageArgs;
  readonly plan: StagePlan;
  /** `{ parent, provider }` for the postgresql resources. */
  readonly pg: pulumi.CustomResourceOptions;
  /** The dynamic resources' connection, from the readiness outputs. */
  readonly connection: ConnectionArgs;
  readonly schema: postgresql.Schema;
}

/** The stage's arguments, checked and with their defaults. */
interface StagePlan {
  readonly schema: string;
  readonly tables: readonly TableSpec[];
  /** The tables' candle aggregates, finest first per table. */
  readonly candles: readonly CandleSpec[];
  readonly writerRole: string;
  readonly readerRole: string;
  readonly superuser: pulumi.Input<string>;
  readonly database: pulumi.Input<string>;
  readonly dropTables: boolean;
  /** The connecting role is an owner, not a superuser (external mode). */
  readonly owner: boolean;
}

/** Checks the arguments (a `pulumi.ResourceError` naming the stage and the argument) and applies the defaults. */
function stagePlan(check: ArgumentChecks, args: DatabaseStageArgs): StagePlan {
  check
    .check("schema", args.schema, sqlIdentifier)
    .check("superuser", args.superuser, sqlIdentifier)
    .check("database", args.database, sqlIdentifier)
    .check("port", args.port, port)
    .check("readyTimeoutSeconds", args.readyTimeoutSeconds, wholeNumber(1, 86400, "(seconds)"));
  const schema = args.schema ?? DEFAULT_SCHEMA;
  const writerRole = args.writerRole ?? `${schema}_writer`;
  const readerRole = args.readerRole ?? `${schema}_reader`;
  check.check("writerRole", writerRole, sqlIdentifier).check("readerRole", readerRole, sqlIdentifier);
  if (readerRole === writerRole) check.fail("readerRole", readerRole, `a role other than writerRole (${writerRole})`);
  check.check("monitoring.role", args.monitoring?.role, sqlIdentifier);
  const superuser = args.superuser ?? "crypto_scout_db";
  for (const [arg, role] of [["writerRole", writerRole], ["readerRole", readerRole]] as const) {
    if (role === superuser) check.fail(arg, role, "a role other than the superuser, which owns the tables");
  }
  const tables = args.tables ?? CRYPTO_SCOUT_TABLES;
  let candles: CandleSpec[] = [];
  try {
    validateModel(tables);
    candles = modelCandles(schema, tables);
  } catch (e) {
    check.invalid("tables", (e as Error).message);
  }
  if (args.connectsAs !== undefined && args.connectsAs !== "superuser" && args.connectsAs !== "owner") check.fail("connectsAs", args.connectsAs, "superuser or owner");
  return { schema, tables, candles, writerRole, readerRole, superuser, database: args.database ?? "crypto_scout", dropTables: args.destroyDropsTables ?? false, owner: args.connectsAs === "owner" };
}

/** The provider's TLS inputs; none at all without TLS settings beyond "disable", so local stacks keep their inputs. */
function providerTlsInputs(tls: pulumi.Input<ConnectionTls> | undefined): { sslmode: pulumi.Input<string>; sslrootcert?: pulumi.Input<string> } {
  if (tls === undefined) return { sslmode: "disable" };
  const settings = pulumi.output(tls).apply((t) => providerTls(t));
  return { sslmode: settings.sslmode, sslrootcert: settings.apply((t) => t.sslrootcert) as pulumi.Output<string> };
}
