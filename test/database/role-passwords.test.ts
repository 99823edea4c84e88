/**
 * No generated password reaches the server in clear. On PostgreSQL 15 with pg_stat_statements preloaded (as the
 * deployment preloads it with monitoring on, the default) and every statement logged (log_statement=all,
 * log_min_duration_statement=0, into a file read here), the roles are made exactly as a deployment makes them:
 *
 * - external mode: the DatabaseRole provider as Pulumi ships it (its serialized text, recorded from the program under
 *   mocks with a databaseUrl pointing at this server), create, then an update from a state written before verifiers;
 * - local mode: the writer, reader and monitoring `postgresql.Role` inputs the program records, turned into the
 *   statements the postgresql provider sends for them (test/support/postgresql-role.ts, from its source), and its
 *   read-back, which must hand back what the program gives it (a second `up` shows no diff).
 *
 * Each role then logs in with its generated password; pg_stat_statements (read by the monitoring role, a pg_monitor
 * member) and the server log hold no generated password. A control at the end shows the search does find a password
 * sent in clear. A second server shows what a stack whose state holds the passwords in clear sees on its first `up`.
 */
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client, escapeIdentifier as id, escapeLiteral } from "pg";
import { scramSha256Verifier } from "../../components/database/scram";
import { PITR_PGPASS_FILE } from "../../components/backup/pitr";
import { pg15Missing, startPg15, type Pg15 } from "../support/pg15";
import { loadSerializedProvider, plain, runProgram, unwrapSecretInput, type ProgramRun } from "../support/program";
import { inTransaction, providerCreateRoleStatements, providerReadRolePassword, providerSetPasswordStatement, type RecordedRoleInputs } from "../support/postgresql-role";

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
const ROLE = "postgresql:index/role:Role";
const DATABASE = "crypto_scout";
const SUPERUSER = { user: "crypto_scout_db", password: "superuser-pw-not-generated-here" };
/** The connecting role of external mode: owns the database, CREATEROLE, not a superuser (as Tiger Cloud's tsdbadmin). */
const OWNER = { user: "tsdbadmin", password: "Owner0pw0for0the0external0stack" };
const CONF = ["shared_preload_libraries = 'pg_stat_statements'", "log_statement = 'all'", "log_min_duration_statement = 0"];

/** The local stack's generated role passwords, by role resource, where users get them: outputs and exporter files. */
function pitrPassword(run: ProgramRun): string {
  const sidecar = run.one("docker:index/container:Container", "pitr-container");
  const files = unwrapSecretInput(sidecar.inputs.uploads) as Array<{ file: string; content: string }>;
  const line = files.find((f) => f.file === PITR_PGPASS_FILE)!.content.trim();
  return line.split(":").slice(4).join(":");
}

function generatedPasswords(run: ProgramRun): Record<string, string> {
  const exporter = run.one("docker:index/container:Container", "metrics-postgres-exporter");
  const files = unwrapSecretInput(exporter.inputs.uploads) as Array<{ file: string; content: string }>;
  return {
    "crypto-scout-writer": String(run.outputs.writerPassword),
    "crypto-scout-reader": String(run.outputs.readerPassword),
    // The exporters' password file, as postgres_exporter reads it.
    "crypto-scout-monitoring": files.find((f) => f.file === "/run/secrets/monitoring-password")!.content,
    // The PITR sidecar's password file (a pgpass line: host:port:database:user:password).
    "pitr-replication-role": pitrPassword(run),
  };
}

describe("role passwords on PostgreSQL 15: only verifiers reach the server", function () {
  this.timeout(120_000);
  let pg: Pg15;
  const connect = async <T>(user: string, password: string, fn: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ host: "127.0.0.1", port: pg.port, database: DATABASE, user, password });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const admin = <T>(fn: (c: Client) => Promise<T>) => connect(SUPERUSER.user, SUPERUSER.password, fn);
  const whoAmI = (user: string, password: string) => connect(user, password, async (c) => (await c.query<{ u: string }>("SELECT current_user AS u")).rows[0].u);
  /** Every generated password the roles were given, by role. */
  const generated = new Map<string, string>();
  let local: ProgramRun;

  before(async function () {
    const missing = pg15Missing();
    if (missing) {
      console.log(`      SKIPPED (not run, not passed): ${missing}`);
      this.skip();
    }
    pg = await startPg15({ ...SUPERUSER, conf: CONF });
    const c = new Client({ host: "127.0.0.1", port: pg.port, database: "postgres", ...SUPERUSER });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${DATABASE}`);
      // The owner's own password goes in as a verifier too, so the only clear-text credentials the log could hold are
      // the ones the stack sends.
      await c.query(`CREATE ROLE ${OWNER.user} LOGIN CREATEROLE PASSWORD ${escapeLiteral(scramSha256Verifier(OWNER.password, randomBytes(16).toString("base64")))}`);
      await c.query(`ALTER DATABASE ${DATABASE} OWNER TO ${OWNER.user}`);
    } finally {
      await c.end();
    }
    // The stage creates pg_stat_statements in the stack's database (a postgresql.Extension).
    await admin((a) => a.query("CREATE EXTENSION pg_stat_statements"));
    local = await runProgram("prod");
  });

  after(() => pg?.stop());

  it("external mode: the DatabaseRole provider creates the writer and reader from verifiers, an old state updates once, and they log in", async () => {
    const run = await runProgram("prod", { backupEnabled: "false", monitoringEnabled: "false", databaseUrl: `postgresql://${OWNER.user}:${OWNER.password}@127.0.0.1:${pg.port}/${DATABASE}?sslmode=disable` }, true, ["databaseUrl"]);
    const passwords: Record<string, string> = { writer: String(run.outputs.writerPassword), reader: String(run.outputs.readerPassword) };
    for (const kind of ["writer", "reader"]) {
      const recorded = run.one(DYNAMIC, `crypto-scout-${kind}`);
      const inputs = plain(recorded.inputs) as Record<string, unknown> & { name: string; passwordVerifier: string };
      delete inputs.__provider;
      assert.equal(inputs.rolePassword, undefined, "no password in clear among the inputs");
      assert.equal(inputs.user, OWNER.user);
      const provider = loadSerializedProvider(recorded.inputs.__provider as string);
      generated.set(`external ${kind}`, passwords[kind]);

      const created = await provider.create(inputs);
      assert.equal(created.outs.adopted, false);
      assert.equal(await whoAmI(inputs.name, passwords[kind]), inputs.name);
      // Unchanged: no diff. A state from before verifiers (the password in clear as rolePassword): one update.
      assert.deepEqual(await provider.diff!(created.id, created.outs, inputs), { changes: false });
      const old = { ...inputs, passwordVerifier: undefined, rolePassword: passwords[kind], adopted: false };
      assert.deepEqual(await provider.diff!(created.id, old, inputs), { changes: true });
      const updated = await provider.update!(created.id, old, inputs);
      assert.equal((updated.outs as Record<string, unknown>).rolePassword, undefined, "the password in clear leaves the state");
      assert.equal(await whoAmI(inputs.name, passwords[kind]), inputs.name, "logs in after the update");
      const stored = await admin(async (a) => (await a.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [inputs.name])).rows[0].rolpassword);
      assert.equal(stored, inputs.passwordVerifier, "the server keeps the verifier the program computed");
      // The local stack below creates the same role names with the postgresql provider.
      await provider.delete!(created.id, updated.outs);
    }
  });

  it("local mode: the writer, reader and monitoring roles as the postgresql provider creates them; its read-back converges; they log in", async () => {
    const roles = local.ofType(ROLE);
    assert.deepEqual(roles.map((r) => r.name).sort(), ["crypto-scout-monitoring", "crypto-scout-reader", "crypto-scout-writer", "pitr-replication-role"]);
    const passwords = generatedPasswords(local);
    for (const r of roles) {
      const inputs = plain(r.inputs) as RecordedRoleInputs & { password: string };
      const password = passwords[r.name];
      generated.set(r.name, password);
      assert.equal(inputs.password, scramSha256Verifier(password, inputs.password.split(/[:$]/)[2]), `${r.name}: the verifier of the generated password`);
      const statements = providerCreateRoleStatements(inputs);
      await admin(async (a) => {
        await inTransaction(a, statements);
        // The provider's read after create (superuser: true locally): what it records is what the program gave it.
        assert.equal(await providerReadRolePassword(a, inputs.name, inputs.password, true), inputs.password, `${r.name}: no diff on the next up`);
      });
      assert.equal(await whoAmI(inputs.name, password), inputs.name, `${r.name} logs in with its generated password`);
    }
  });

  it("neither pg_stat_statements (read by the monitoring role) nor the server log holds any generated password", async () => {
    assert.equal(generated.size, 6, "writer and reader of both modes, the monitoring and the replication role");
    const monitor = "crypto_scout_monitor";
    const statements = await connect(monitor, generated.get("crypto-scout-monitoring")!, async (c) => (await c.query<{ query: string }>("SELECT query FROM pg_stat_statements")).rows.map((r) => r.query));
    const log = fs.readFileSync(path.join(pg.dir, "server.log"), "utf8");
    // The statements are there, with their text (so the search below looks where a password would be).
    assert.ok(statements.some((q) => /^CREATE ROLE "crypto_scout_writer" WITH ENCRYPTED PASSWORD 'SCRAM-SHA-256\$4096:/.test(q)), "pg_stat_statements keeps the CREATE ROLE text");
    assert.ok(statements.some((q) => /^ALTER ROLE "crypto_scout_reader" WITH PASSWORD 'SCRAM-SHA-256\$4096:/.test(q)), "and the DatabaseRole provider's ALTER ROLE");
    assert.match(log, /statement: CREATE ROLE "crypto_scout_monitor" WITH ENCRYPTED PASSWORD 'SCRAM-SHA-256\$4096:/);
    for (const [role, password] of [...generated, ["the external stack's owner", OWNER.password] as const]) {
      assert.equal(statements.filter((q) => q.includes(password)).length, 0, `${role}: password in pg_stat_statements`);
      assert.equal(log.includes(password), false, `${role}: password in the server log`);
    }

    // Control: a password sent in clear is found by the same search, in both places.
    const control = `control-${randomBytes(12).toString("hex")}`;
    await admin((a) => a.query(`ALTER ROLE ${id(monitor)} PASSWORD ${escapeLiteral(control)}`));
    const after = await admin(async (a) => (await a.query<{ query: string }>("SELECT query FROM pg_stat_statements")).rows.map((r) => r.query));
    assert.ok(after.some((q) => q.includes(control)), "the control password shows in pg_stat_statements");
    assert.ok(fs.readFileSync(path.join(pg.dir, "server.log"), "utf8").includes(control), "the control password shows in the server log");
  });
});

describe("role passwords on PostgreSQL 15: a stack whose state holds them in clear", function () {
  this.timeout(120_000);
  let pg: Pg15;

  before(async function () {
    const missing = pg15Missing();
    if (missing) {
      console.log(`      SKIPPED (not run, not passed): ${missing}`);
      this.skip();
    }
    pg = await startPg15({ ...SUPERUSER });
  });

  after(() => pg?.stop());

  it("the provider's read keeps the old state (no drift), the new verifier is one in-place update, logins keep working, then nothing changes", async () => {
    const run = await runProgram("prod");
    const c = new Client({ host: "127.0.0.1", port: pg.port, database: "postgres", ...SUPERUSER });
    await c.connect();
    try {
      for (const r of run.ofType(ROLE)) {
        const inputs = plain(r.inputs) as RecordedRoleInputs & { password: string };
        const password = generatedPasswords(run)[r.name];
        // As the stack was: the same role, created with the password in clear (the server hashed it itself).
        await inTransaction(c, providerCreateRoleStatements({ ...inputs, password }));
        // A refresh reads the clear password back from the state: nothing drifts before the update.
        assert.equal(await providerReadRolePassword(c, inputs.name, password, true), password);
        // The program now gives the verifier: `password` differs from the state, so the update sends it.
        assert.notEqual(inputs.password, password);
        await inTransaction(c, [providerSetPasswordStatement(inputs.name, inputs.password)]);
        const read = await providerReadRolePassword(c, inputs.name, inputs.password, true);
        assert.equal(read, inputs.password, `${r.name}: the state now holds the verifier; the next up shows no diff`);
        const login = new Client({ host: "127.0.0.1", port: pg.port, database: "postgres", user: inputs.name, password });
        await login.connect();
        await login.end();
      }
    } finally {
      await c.end();
    }
  });
});
