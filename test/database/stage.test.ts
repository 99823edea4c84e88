/**
 * The DatabaseStage component under Pulumi mocks: every resource it registers, with the model's values, secrecy and
 * the dependencies that keep grants after the tables they cover. Then the dynamic providers as Pulumi ships them: the
 * serialized `__provider` module text from the recorded inputs is loaded the way the dynamic-provider host does
 * (`new Module` + `_compile`, then `.handler()`) and run against the test database, so a provider closure that does
 * not serialize fails here, not at `pulumi up`.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { DatabaseStage, PRIVILEGES, type DatabaseStageArgs } from "../../components/database/database-stage";
import { applyTableOverrides, CRYPTO_SCOUT_TABLES, hypertableSpec } from "../../components/database/model";
import { tablePolicies } from "../../components/database/sql";
import { modelCandles } from "../../components/database/candles";
import { applyDatabase, type Connection } from "../../components/database/providers/live";
import { scramSha256Verifier } from "../../components/database/scram";
import { isSecretInput, loadSerializedProvider, mockedRandomBytes, plain, recordProgram, resolve, unwrapSecretInput, type Recording } from "../support/program";
import { freshSchema, policyJobs, query, timescale, withDb } from "../support/timescale";

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

interface StageRun extends Recording<{ stage: DatabaseStage; server: pulumi.CustomResource }> {
  stage: DatabaseStage;
  server: pulumi.CustomResource;
}

class FakeServer extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Server", name, {});
  }
}

/** Registers a DatabaseStage under mocks (preview) and waits until every registration has been recorded. */
async function registerStage(args: Partial<DatabaseStageArgs> = {}): Promise<StageRun> {
  const recording = await recordProgram(() => {
    const server = new FakeServer("server");
    const stage = new DatabaseStage("crypto-scout", { host: "127.0.0.1", port: 5432, superuserPassword: pulumi.secret("superuser-pw"), ...args }, { dependsOn: [server] });
    return { stage, server };
  });
  await resolve(recording.result.stage.urn);
  return { ...recording, ...recording.result };
}


describe("DatabaseStage under Pulumi mocks", function () {
  this.timeout(60_000);
  let run: StageRun;
  before(async () => {
    run = await registerStage();
  });

  it("waits for the server first: a readiness resource that depends on the server and holds the credentials", () => {
    const ready = run.one(DYNAMIC, "crypto-scout-ready");
    assert.deepEqual(plain({ ...ready.inputs, __provider: undefined }), {
      host: "127.0.0.1", port: 5432, database: "crypto_scout", user: "crypto_scout_db", password: "superuser-pw", timeoutSeconds: 300, __provider: undefined,
    });
    assert.ok(isSecretInput(ready.inputs.password), "password is a secret input");
    assert.ok((ready.options.dependsOn as pulumi.Resource[]).includes(run.server), "depends on the server");
    assert.deepEqual(ready.options.additionalSecretOutputs, ["password"]);
  });

  it("configures the postgresql provider from the readiness outputs: host, port, no TLS, superuser", () => {
    const provider = run.one("pulumi:providers:postgresql", "crypto-scout-provider");
    assert.equal(provider.inputs.host, "127.0.0.1");
    assert.equal(Number(provider.inputs.port), 5432);
    assert.equal(provider.inputs.database, "crypto_scout");
    assert.equal(provider.inputs.username, "crypto_scout_db");
    assert.equal(provider.inputs.sslmode, "disable");
    assert.equal(String(provider.inputs.superuser), "true");
    assert.ok(isSecretInput(provider.inputs.password));
  });

  it("registers the extension and the schema, kept on destroy", () => {
    const ext = run.one("postgresql:index/extension:Extension", "crypto-scout-timescaledb");
    assert.equal(ext.inputs.name, "timescaledb");
    assert.equal(ext.options.retainOnDelete, true);
    const schema = run.one("postgresql:index/schema:Schema", "crypto-scout-schema");
    assert.deepEqual([schema.inputs.name, schema.inputs.owner, schema.inputs.ifNotExists, schema.inputs.dropCascade], ["crypto_scout", "crypto_scout_db", true, false]);
    assert.equal(schema.options.retainOnDelete, true);
  });

  it("registers 4 hypertables and 12 policies with the model's values, passwords secret", () => {
    const dynamic = run.ofType(DYNAMIC);
    const hypertables = dynamic.filter((r) => /hypertable/i.test(r.name));
    const policies = dynamic.filter((r) => /(compression|retention|reorder)/i.test(r.name) && !r.name.includes("_candles_"));
    // A provider whose closure does not serialize never gets registered: these counts are where that shows first.
    assert.equal(hypertables.length, 4, "4 hypertables registered (their provider serialized)");
    assert.equal(policies.length, 12, "12 policies registered (their provider serialized)");
    for (const table of CRYPTO_SCOUT_TABLES) {
      const h = run.one(DYNAMIC, `crypto-scout-hypertable-${table.name}`);
      assert.deepEqual(h.inputs.table, JSON.parse(JSON.stringify(hypertableSpec(table))), "the table without its policies");
      assert.deepEqual([h.inputs.schema, h.inputs.destroyDropsTables, h.inputs.host, h.inputs.port], ["crypto_scout", false, "127.0.0.1", 5432]);
      for (const policy of tablePolicies(table)) {
        const p = run.one(DYNAMIC, `crypto-scout-${policy.kind}-${table.name}`);
        assert.deepEqual([p.inputs.schema, p.inputs.table, p.inputs.policy], ["crypto_scout", table.name, policy]);
        assert.ok((p.options.dependsOn as pulumi.Resource[]).includes(run.stage.hypertables[table.name]), "policy after its hypertable");
      }
    }
    for (const r of dynamic) {
      assert.ok(isSecretInput(r.inputs.password), `${r.name}: password secret`);
      assert.ok((r.options.additionalSecretOutputs ?? []).includes("password"), `${r.name}: password secret in outputs`);
      assert.equal(typeof r.inputs.__provider, "string");
    }
  });

  it("registers writer and reader login roles with generated secret passwords, handed over as SCRAM-SHA-256 verifiers", async () => {
    const roles = run.ofType("postgresql:index/role:Role");
    assert.deepEqual(roles.map((r) => [r.name, r.inputs.name, r.inputs.login, r.inputs.superuser, r.inputs.createRole]), [
      ["crypto-scout-writer", "crypto_scout_writer", true, false, false],
      ["crypto-scout-reader", "crypto_scout_reader", true, false, false],
    ]);
    for (const r of roles) {
      assert.ok(isSecretInput(r.inputs.password), `${r.name} password secret`);
      // The verifier of the generated password with the role's own generated salt; the password itself is in no input.
      const salt = mockedRandomBytes(`${r.name}-password-salt`, 16);
      assert.equal(unwrapSecretInput(r.inputs.password), scramSha256Verifier(`generated-${r.name}-password`, salt), r.name);
      assert.doesNotMatch(JSON.stringify(plain(r.inputs)), /generated-/, `${r.name}: no password in clear`);
    }
    assert.deepEqual(run.ofType("random:index/randomPassword:RandomPassword").map((p) => [p.name, p.inputs.length, p.inputs.special]), [
      ["crypto-scout-writer-password", 32, false],
      ["crypto-scout-reader-password", 32, false],
    ]);
    const salts = run.ofType("random:index/randomBytes:RandomBytes");
    assert.deepEqual(salts.map((b) => [b.name, b.inputs.length]), [
      ["crypto-scout-writer-password-salt", 16],
      ["crypto-scout-reader-password-salt", 16],
    ]);
    for (const b of salts) assert.equal(b.options.parent, run.stage, `${b.name} is the stage's child`);
    const s = run.stage;
    assert.equal(await resolve(s.writerRole), "crypto_scout_writer");
    assert.equal(await resolve(s.readerRole), "crypto_scout_reader");
    for (const secret of [s.writerPassword, s.readerPassword, s.writerConnectionUrl, s.readerConnectionUrl]) assert.ok(await pulumi.isSecret(secret));
    assert.equal(await resolve(s.writerConnectionUrl), "postgresql://crypto_scout_writer:generated-crypto-scout-writer-password@127.0.0.1:5432/crypto_scout");
  });

  it("grants explicit privileges after the hypertables they cover, plus default privileges for later tables", () => {
    const tables = CRYPTO_SCOUT_TABLES.map((t) => t.name);
    const sequences = tables.map((t) => `${t}_id_seq`);
    const grants = Object.fromEntries(run.ofType("postgresql:index/grant:Grant").map((g) => [g.name.replace("crypto-scout-", ""), g]));
    const expected: Record<string, [string, string, readonly string[], string[] | undefined]> = {
      "superuser-schema": ["crypto_scout_db", "schema", PRIVILEGES.superuser.schema, undefined],
      "superuser-tables": ["crypto_scout_db", "table", PRIVILEGES.superuser.table, tables],
      "superuser-sequences": ["crypto_scout_db", "sequence", PRIVILEGES.superuser.sequence, sequences],
      "writer-schema": ["crypto_scout_writer", "schema", ["USAGE"], undefined],
      "writer-tables": ["crypto_scout_writer", "table", ["INSERT", "SELECT"], tables],
      "writer-sequences": ["crypto_scout_writer", "sequence", ["SELECT", "USAGE"], sequences],
      "reader-schema": ["crypto_scout_reader", "schema", ["USAGE"], undefined],
      // The reader also selects the candles (test/database/candles.test.ts).
      "reader-tables": ["crypto_scout_reader", "table", ["SELECT"], [...tables, ...modelCandles("crypto_scout", CRYPTO_SCOUT_TABLES).map((c) => c.name)]],
    };
    assert.deepEqual(Object.keys(grants).sort(), Object.keys(expected).sort());
    for (const [name, [role, objectType, privileges, objects]] of Object.entries(expected)) {
      const g = grants[name];
      assert.deepEqual([g.inputs.role, g.inputs.objectType, g.inputs.privileges, g.inputs.objects, g.inputs.schema], [role, objectType, privileges, objects, "crypto_scout"], name);
      for (const h of Object.values(run.stage.hypertables)) assert.ok((g.options.dependsOn as pulumi.Resource[]).includes(h), `${name} after every hypertable`);
    }
    // The owner's table grant is ALL: on PostgreSQL 17 the provider reads back MAINTAIN too, so a 7-item list would diff.
    assert.deepEqual(grants["superuser-tables"].inputs.privileges, ["ALL"]);
    const defaults = run.ofType("postgresql:index/defaultPrivileges:DefaultPrivileges").map((d) => [d.name, d.inputs.role, d.inputs.owner, d.inputs.objectType, d.inputs.privileges]);
    for (const d of run.ofType("postgresql:index/defaultPrivileges:DefaultPrivileges")) {
      assert.equal(d.options.deleteBeforeReplace, true, `${d.name}: a replacement must not lose to the old one's REVOKE`);
    }
    assert.deepEqual(defaults, [
      ["crypto-scout-writer-default-tables", "crypto_scout_writer", "crypto_scout_db", "table", ["INSERT", "SELECT"]],
      ["crypto-scout-writer-default-sequences", "crypto_scout_writer", "crypto_scout_db", "sequence", ["SELECT", "USAGE"]],
      ["crypto-scout-reader-default-tables", "crypto_scout_reader", "crypto_scout_db", "table", ["SELECT"]],
    ]);
  });

  it("chains grants and default privileges on the same kind of object, so no two rewrite one ACL at once", async () => {
    const privileges = [...run.ofType("postgresql:index/grant:Grant"), ...run.ofType("postgresql:index/defaultPrivileges:DefaultPrivileges")];
    // What each one waits for, by name (dependsOn holds resources; their URNs end in their names).
    const waitsFor = new Map<string, string[]>();
    for (const r of privileges) {
      const urns = await Promise.all((r.options.dependsOn as pulumi.Resource[]).map((d) => resolve(d.urn)));
      waitsFor.set(r.name, urns.map((u) => u.slice(u.lastIndexOf("::") + 2)));
    }
    const chains: Record<string, string[]> = {
      schema: ["superuser-schema", "writer-schema", "reader-schema"],
      table: ["superuser-tables", "writer-tables", "reader-tables"],
      sequence: ["superuser-sequences", "writer-sequences"],
      "default tables": ["writer-default-tables", "reader-default-tables"],
      "default sequences": ["writer-default-sequences"],
    };
    assert.equal(Object.values(chains).flat().length, privileges.length, "every grant is in one chain");
    const others = (chain: string[]) => Object.values(chains).flat().filter((n) => !chain.includes(n)).map((n) => `crypto-scout-${n}`);
    for (const [kind, chain] of Object.entries(chains)) {
      chain.forEach((n, i) => {
        const deps = waitsFor.get(`crypto-scout-${n}`) ?? assert.fail(`${n} not registered`);
        if (i > 0) assert.ok(deps.includes(`crypto-scout-${chain[i - 1]}`), `${kind}: ${n} waits for ${chain[i - 1]}`);
        for (const other of others(chain)) assert.ok(!deps.includes(other), `${n} does not wait for ${other} (another kind)`);
        for (const later of chain.slice(i)) assert.ok(!deps.includes(`crypto-scout-${later}`), `${n} does not wait for ${later}`);
      });
    }
  });

  it("names every child after the component and parents it", () => {
    for (const r of run.resources) {
      if (r.type === "crypto-scout:database:DatabaseStage" || r.type === "test:index:Server") continue;
      assert.match(r.name, /^crypto-scout-/);
      assert.equal(r.options.parent, run.stage, `${r.name} parented`);
    }
  });

  it("with destroyDropsTables and overrides: tables may be dropped, windows follow the overrides", async () => {
    const tables = applyTableOverrides("tables", { cmc_fgi: { retention: "365 days" } });
    const opted = await registerStage({ destroyDropsTables: true, tables, schema: "analytics" });
    assert.equal(opted.one("postgresql:index/schema:Schema", "crypto-scout-schema").options.retainOnDelete, false);
    assert.equal(opted.one(DYNAMIC, "crypto-scout-hypertable-cmc_fgi").inputs.destroyDropsTables, true);
    assert.deepEqual(opted.one(DYNAMIC, "crypto-scout-retention-cmc_fgi").inputs.policy, { kind: "retention", after: "365 days" });
    assert.equal(opted.one(DYNAMIC, "crypto-scout-hypertable-bybit_lpl").inputs.schema, "analytics");
    assert.equal(opted.one("postgresql:index/role:Role", "crypto-scout-writer").inputs.name, "analytics_writer");
  });

  it("lets callers adjust the provider and role args through transform", async () => {
    const t = await registerStage({
      transform: {
        provider: { sslmode: "require" },
        role: (args) => {
          args.connectionLimit = 20;
        },
      },
    });
    assert.equal(t.one("pulumi:providers:postgresql", "crypto-scout-provider").inputs.sslmode, "require");
    for (const r of t.ofType("postgresql:index/role:Role")) assert.equal(r.inputs.connectionLimit, 20, r.name);
  });

  const badArgs: Array<[string, Partial<DatabaseStageArgs>, RegExp]> = [
    ["a schema that is not a plain identifier", { schema: "Bad-Schema" }, /^DatabaseStage "crypto-scout": schema is "Bad-Schema"; expected a lower-case SQL identifier/],
    ["a bad table model", { tables: [{ ...CRYPTO_SCOUT_TABLES[0], retention: "forever" }] }, /^DatabaseStage "crypto-scout": tables: Invalid table model 'cmc_fgi\.retention'/],
    ["roles that collide", { writerRole: "app", readerRole: "app" }, /^DatabaseStage "crypto-scout": readerRole is "app"; expected a role other than writerRole \(app\)$/],
    ["a role that is the superuser", { readerRole: "crypto_scout_db" }, /readerRole is "crypto_scout_db"; expected a role other than the superuser/],
    ["a port out of range", { port: 70000 }, /port is 70000; expected a whole number from 1 to 65535/],
    ["a zero readiness timeout", { readyTimeoutSeconds: 0 }, /readyTimeoutSeconds is 0; expected a whole number from 1 to 86400 \(seconds\)/],
  ];
  for (const [what, args, message] of badArgs) {
    it(`refuses ${what} with a ResourceError, before registering any child`, async () => {
      await assert.rejects(registerStage(args), (e: Error & { registered: Array<{ type: string }> }) => {
        assert.ok(pulumi.ResourceError.isInstance(e), "a ResourceError");
        assert.match(e.message, message);
        assert.deepEqual(e.registered.map((r) => r.type).filter((t) => t !== "crypto-scout:database:DatabaseStage" && t !== "test:index:Server"), []);
        return true;
      });
    });
  }
});

describe("DatabaseStage: the serialized dynamic providers run against TimescaleDB", function () {
  this.timeout(60_000);
  let run: StageRun;
  let conn: Connection;
  before(async () => {
    run = await registerStage();
    const t = await timescale();
    conn = { host: t.host, port: t.port, database: t.database, user: t.user, password: t.password };
  });

  it("is compact module text that requires pg instead of embedding it", () => {
    for (const r of run.ofType(DYNAMIC)) {
      const text = r.inputs.__provider as string;
      assert.match(text, /exports\.handler = /);
      assert.match(text, /require\("pg"\)/);
      assert.ok(text.length < 100_000, `${r.name}: ${text.length} characters`);
      assert.doesNotMatch(text, /ConfigError|registerResource/, "no validation or Pulumi SDK code shipped");
    }
  });

  it("readiness, hypertable and policy providers, loaded from their serialized text, create, diff and delete", async () => {
    const schema = freshSchema("ser");
    await withDb((c) => applyDatabase(c, schema));
    const ready = loadSerializedProvider(run.one(DYNAMIC, "crypto-scout-ready").inputs.__provider as string);
    const readyResult = await ready.create({ ...conn, timeoutSeconds: 10 });
    assert.match(readyResult.outs.serverVersion, /^\d+\./);

    const cmc = run.one(DYNAMIC, "crypto-scout-hypertable-cmc_fgi");
    const hypertable = loadSerializedProvider(cmc.inputs.__provider as string);
    const inputs = { ...conn, schema, table: plain(cmc.inputs.table), destroyDropsTables: false };
    const created = await hypertable.create(inputs);
    assert.equal(created.id, `${schema}.cmc_fgi`);
    assert.deepEqual(await hypertable.diff!(created.id, created.outs, inputs), { changes: false });

    for (const kind of ["compression", "retention", "reorder"]) {
      const recorded = run.one(DYNAMIC, `crypto-scout-${kind}-cmc_fgi`);
      const policy = loadSerializedProvider(recorded.inputs.__provider as string);
      const p = { ...conn, schema, table: "cmc_fgi", policy: plain(recorded.inputs.policy) };
      await policy.create(p);
      assert.deepEqual(await policy.diff!("id", p, p), { changes: false });
    }
    assert.deepEqual(Object.keys(await policyJobs(schema)).sort(), ["cmc_fgi/compression", "cmc_fgi/reorder", "cmc_fgi/retention"]);
    const reorder = loadSerializedProvider(run.one(DYNAMIC, "crypto-scout-reorder-cmc_fgi").inputs.__provider as string);
    await reorder.delete!("id", { ...conn, schema, table: "cmc_fgi", policy: { kind: "reorder", index: "idx_cmc_fgi_timestamp" } });
    await hypertable.delete!(created.id, created.outs);
    assert.deepEqual(Object.keys(await policyJobs(schema)).sort(), ["cmc_fgi/compression", "cmc_fgi/retention"]);
    assert.equal((await query(`SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'cmc_fgi'`, [schema])).length, 1, "table kept");
  });
});
