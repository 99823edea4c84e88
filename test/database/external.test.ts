/**
 * External mode on the real engine (issue 10): the database stage applied by a role that owns the database and has
 * CREATEROLE but is not a superuser, with the timescaledb extension created beforehand by a superuser: the embedded
 * server's login role is exactly that (test/support/serve-timescale.ts), and so is Tiger Cloud's tsdbadmin. With
 * TIMESCALE_URL the same tests run as that URL's user.
 *
 * The dynamic providers run as Pulumi ships them: their serialized text, recorded from the program under mocks with
 * an external stack. The postgresql provider (a Go binary) cannot run here; its part is the extension (adopted by
 * CREATE EXTENSION IF NOT EXISTS), the schema (CREATE SCHEMA, owned by the connecting role) and the GRANTs, which this
 * test issues as that provider does (cyrilgdn/terraform-provider-postgresql ff936b9 postgresql/
 * resource_postgresql_grant.go createGrantQuery: GRANT <privileges> ON <TABLE|SEQUENCE> <objects> TO <role>).
 */
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { escapeIdentifier as id, Client } from "pg";
import { CRYPTO_SCOUT_TABLES, sequenceNames } from "../../components/database/model";
import { applyDatabase, type Connection } from "../../components/database/providers/live";
import { planRole } from "../../components/database/providers/role";
import { scramSha256Verifier } from "../../components/database/scram";
import { PRIVILEGES } from "../../components/database/database-stage";
import { loadSerializedProvider, plain, runProgram, type ProgramRun } from "../support/program";
import { collectorInsertSql, grantSetRole, isPglite, freshName, freshSchema, policyJobs, query, timescale, trackRole, withDb } from "../support/timescale";

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

describe("external mode on TimescaleDB: the stage applied as an owner that is not a superuser", function () {
  this.timeout(120_000);
  let run: ProgramRun;
  let conn: Connection;
  const provider = (name: string) => loadSerializedProvider(run.one(DYNAMIC, name).inputs.__provider as string);
  let me: { rolsuper: boolean; rolcreaterole: boolean; ext: string | null };
  before(async function () {
    const t = await timescale();
    [me] = await query<typeof me>(
      "SELECT rolsuper, rolcreaterole, (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS ext FROM pg_roles WHERE rolname = current_user",
    );
    // Decided before the program runs: it refuses a databaseUrl without a password, as a server with trust logins allows.
    const skip = me.rolsuper ? "TIMESCALE_URL connects as a superuser; external mode needs a role that is not one" : !t.password ? "TIMESCALE_URL has no password; a databaseUrl needs one" : "";
    if (skip) {
      console.log(`      SKIPPED (not run, not passed): ${skip}`);
      this.skip();
    }
    conn = { host: t.host, port: t.port, database: t.database, user: t.user, password: t.password };
    run = await runProgram("prod", { backupEnabled: "false", monitoringEnabled: "false", databaseUrl: `${t.url}?sslmode=disable` }, true, ["databaseUrl"]);
  });

  it("the connecting role is what the issue describes: not a superuser, CREATEROLE, the extension already there", async () => {
    assert.equal(me.rolsuper, false);
    assert.equal(me.rolcreaterole, true);
    assert.ok(me.ext, "timescaledb is installed");
    // The extension is adopted, not created: IF NOT EXISTS succeeds without the right to create it.
    await withDb((c) => c.query("CREATE EXTENSION IF NOT EXISTS timescaledb"));
  });

  it("4 hypertables and 12 policies, owned by the connecting role; the roles adopted on a second create; nothing changes the second time", async () => {
    const schema = freshSchema("ext");
    await withDb((c) => applyDatabase(c, schema));
    const apply = async () => {
      for (const t of CRYPTO_SCOUT_TABLES) {
        const recorded = run.one(DYNAMIC, `crypto-scout-hypertable-${t.name}`);
        const inputs = { ...conn, schema, table: plain(recorded.inputs.table), destroyDropsTables: false };
        const hypertable = provider(`crypto-scout-hypertable-${t.name}`);
        const created = await hypertable.create(inputs);
        assert.deepEqual(await hypertable.diff!(created.id, created.outs, inputs), { changes: false }, t.name);
        for (const kind of ["compression", "retention", "reorder"]) {
          const p = { ...conn, schema, table: t.name, policy: plain(run.one(DYNAMIC, `crypto-scout-${kind}-${t.name}`).inputs.policy) };
          const policy = provider(`crypto-scout-${kind}-${t.name}`);
          await policy.create(p);
          assert.deepEqual(await policy.diff!("id", p, p), { changes: false }, `${t.name} ${kind}`);
        }
      }
    };
    await apply();
    await apply(); // a second `up` adopts everything it created
    const owners = await query<{ tableowner: string }>("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = $1", [schema]);
    assert.deepEqual(owners.map((o) => o.tableowner), [conn.user]);
    const hypertables = await query("SELECT hypertable_name FROM timescaledb_information.hypertables WHERE hypertable_schema = $1", [schema]);
    assert.equal(hypertables.length, 4);
    assert.equal(Object.keys(await policyJobs(schema)).length, 12);
  });

  it("writer and reader: created, adopted when they exist (attributes put right, password set as a verifier), log in and do their job, dropped on delete", async () => {
    const schema = freshSchema("extroles");
    await withDb((c) => applyDatabase(c, schema));
    const table = CRYPTO_SCOUT_TABLES[1];
    const hypertable = provider(`crypto-scout-hypertable-${table.name}`);
    await hypertable.create({ ...conn, schema, table: plain(run.one(DYNAMIC, `crypto-scout-hypertable-${table.name}`).inputs.table), destroyDropsTables: false });

    const roleProvider = provider("crypto-scout-writer");
    const attributes = plain(run.one(DYNAMIC, "crypto-scout-writer").inputs.attributes) as never;
    const writer = trackRole(freshName("w"));
    const reader = trackRole(freshName("r"));
    // The reader exists already, as a leftover with rights it must not keep: adopted and put right.
    await withDb((c) => c.query(`CREATE ROLE ${id(reader)} NOLOGIN CREATEDB CONNECTION LIMIT 3`));
    // Each password reaches the server only as its verifier (the stage computes it with the role's generated salt).
    const verifier = (password: string) => scramSha256Verifier(password, randomBytes(16).toString("base64"));
    const w = await roleProvider.create({ ...conn, name: writer, passwordVerifier: verifier("writer-pw-1"), attributes });
    const r = await roleProvider.create({ ...conn, name: reader, passwordVerifier: verifier("reader-pw-1"), attributes });
    assert.equal(w.outs.adopted, false);
    assert.equal(r.outs.adopted, true);
    const [live] = await query<Record<string, unknown>>("SELECT rolcanlogin, rolcreatedb, rolconnlimit, rolsuper FROM pg_roles WHERE rolname = $1", [reader]);
    assert.deepEqual(live, { rolcanlogin: true, rolcreatedb: false, rolconnlimit: -1, rolsuper: false });
    // Adopting again plans nothing but the password; an unchanged resource shows no diff.
    assert.deepEqual((await withDb((c) => planRole(c, reader, attributes))).statements, []);
    assert.deepEqual(await roleProvider.diff!(w.id, w.outs, { ...conn, name: writer, passwordVerifier: w.outs.passwordVerifier, attributes }), { changes: false });
    const again = await roleProvider.create({ ...conn, name: writer, passwordVerifier: verifier("wr'iter-pw-2"), attributes });
    assert.equal(again.outs.adopted, true, "a role left by an earlier stack is adopted, with the new password");
    // A state written before verifiers holds the password in clear as rolePassword: one update, to the verifier of
    // the same password, and the old key is gone from the state.
    const old = { ...conn, name: reader, rolePassword: "reader-pw-1", attributes, adopted: true };
    const news = { ...conn, name: reader, passwordVerifier: verifier("reader-pw-1"), attributes };
    assert.deepEqual(await roleProvider.diff!(reader, old, news), { changes: true });
    const updated = await roleProvider.update!(reader, old, news);
    assert.deepEqual(updated.outs, { ...news, adopted: true });
    // A password in clear is refused before anything is sent, and the message does not repeat it.
    await assert.rejects(roleProvider.create({ ...conn, name: reader, passwordVerifier: "reader-pw-1", attributes }), (e: Error) => {
      assert.match(e.message, /must be given as a SCRAM-SHA-256 verifier/);
      assert.doesNotMatch(e.message, /reader-pw-1/);
      return true;
    });

    // The grants the stage declares, as the postgresql provider issues them (no grant to the owner).
    const tables = `${id(schema)}.${id(table.name)}`;
    const sequences = sequenceNames(table).map((s) => `${id(schema)}.${id(s)}`).join(", ");
    await withDb(async (c) => {
      await c.query(`GRANT ${PRIVILEGES.writer.schema.join(", ")} ON SCHEMA ${id(schema)} TO ${id(writer)}`);
      await c.query(`GRANT ${PRIVILEGES.writer.table.join(", ")} ON TABLE ${tables} TO ${id(writer)}`);
      await c.query(`GRANT ${PRIVILEGES.writer.sequence.join(", ")} ON SEQUENCE ${sequences} TO ${id(writer)}`);
      await c.query(`GRANT ${PRIVILEGES.reader.schema.join(", ")} ON SCHEMA ${id(schema)} TO ${id(reader)}`);
      await c.query(`GRANT ${PRIVILEGES.reader.table.join(", ")} ON TABLE ${tables} TO ${id(reader)}`);
    });

    const t = await timescale();
    // PGlite (embedded, or served behind TIMESCALE_URL) has one session whatever the login: roles are become, not logged in as.
    const pglite = await isPglite();
    const as = async <T>(role: string, password: string, fn: (c: Client) => Promise<T>): Promise<T> => {
      if (!pglite) {
        // A real server: log in with the role's own password.
        const c = new Client({ host: t.host, port: t.port, database: t.database, user: role, password });
        await c.connect();
        try {
          return await fn(c);
        } finally {
          await c.end();
        }
      }
      // PGlite serves one session for every connection: become the role instead (the owner created it).
      return withDb(async (c) => {
        await grantSetRole(c, role);
        await c.query(`SET ROLE ${id(role)}`);
        try {
          return await fn(c);
        } finally {
          await c.query("RESET ROLE");
          await c.query(`REVOKE ${id(role)} FROM CURRENT_USER`);
        }
      });
    };
    const inserted = await as(writer, "wr'iter-pw-2", async (c) => (await c.query(`${collectorInsertSql(schema, table.name, 5, 1)} RETURNING id`)).rowCount);
    assert.equal(inserted, 5);
    const [{ n }] = await as(reader, "reader-pw-1", async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${tables}`)).rows);
    assert.equal(n, 5);
    await assert.rejects(as(reader, "reader-pw-1", (c) => c.query(collectorInsertSql(schema, table.name, 1, 1))), /permission denied/);
    await assert.rejects(as(writer, "wr'iter-pw-2", (c) => c.query(`DELETE FROM ${tables}`)), /permission denied/);

    // Delete: the grants go first (they depend on the roles), then the roles.
    await withDb(async (c) => {
      await c.query(`REVOKE ALL ON SCHEMA ${id(schema)} FROM ${id(writer)}, ${id(reader)}`);
      await c.query(`REVOKE ALL ON TABLE ${tables} FROM ${id(writer)}, ${id(reader)}`);
      await c.query(`REVOKE ALL ON SEQUENCE ${sequences} FROM ${id(writer)}`);
    });
    await roleProvider.delete!(w.id, again.outs);
    await roleProvider.delete!(r.id, r.outs);
    assert.deepEqual(await query("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [[writer, reader]]), []);
  });

  it("a role that cannot be dropped says why in one message", async () => {
    const schema = freshSchema("extdrop");
    await withDb((c) => applyDatabase(c, schema));
    const role = trackRole(freshName("d"));
    const roleProvider = provider("crypto-scout-reader");
    const attributes = { login: true, inherit: true, connectionLimit: -1 };
    const created = await roleProvider.create({ ...conn, name: role, passwordVerifier: scramSha256Verifier("pw", randomBytes(16).toString("base64")), attributes });
    await withDb((c) => c.query(`GRANT USAGE ON SCHEMA ${id(schema)} TO ${id(role)}`));
    await assert.rejects(roleProvider.delete!(created.id, created.outs), /^error: cannot drop role .*: role .* cannot be dropped because some objects depend on it \(it still holds privileges/);
    await withDb((c) => c.query(`REVOKE ALL ON SCHEMA ${id(schema)} FROM ${id(role)}`));
    await roleProvider.delete!(created.id, created.outs);
  });

});
