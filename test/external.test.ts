/**
 * External mode (issue 10): a stack with `databaseUrl` manages a server it reaches by URL, as its owner (not a
 * superuser), over TLS, and creates no Docker resource. The settings rules (pure), then the whole program under
 * Pulumi mocks; the SQL side runs on the real engine in test/database/external.test.ts.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { loadSettings, type ConfigSource } from "../components/config/settings";
import { providerTls, redactUrl } from "../components/config/external";
import { PROJECT, stackConfig, stackConfigSource } from "../components/config/stack-files";
import { main as printSettings } from "../scripts/print-settings";
import { scramSha256Verifier } from "../components/database/scram";
import { isSecret, isSecretInput, mockedRandomBytes, plain, runProgram, unwrapSecretInput, type ProgramError, type ProgramRun } from "./support/program";

const URL = "postgresql://tsdbadmin:s3cr%40t@abc123.tsdb.cloud.timescale.com:34567/tsdb";
/** What an external stack sets besides the URL: no sidecar, no exporters (both refused otherwise). */
const EXTERNAL = { backupEnabled: "false", monitoringEnabled: "false" };
const PEM = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";

/** The prod stack's config with keys replaced; `secrets` are the keys the stack keeps encrypted. */
function source(overrides: Record<string, unknown>, secrets: readonly string[] = ["databaseUrl"]): ConfigSource {
  const values = stackConfig("prod");
  return {
    get: (key) => (key in overrides ? overrides[key] : values[`${PROJECT}:${key}`]),
    isSecret: (key) => secrets.includes(key),
  };
}

describe("external mode: settings", () => {
  it("a stack without databaseUrl is local: no TLS, and TLS keys that cannot apply are refused", () => {
    assert.equal(loadSettings(stackConfigSource("prod")).external, undefined);
    assert.equal(loadSettings(source({ sslMode: "disable" })).external, undefined);
    assert.throws(() => loadSettings(source({ sslMode: "verify-full" })), /Invalid config 'sslMode': got "verify-full"; expected disable \(or unset\) without databaseUrl: the local container serves no TLS\.$/);
    assert.throws(() => loadSettings(source({ sslRootCert: PEM })), /Invalid config 'sslRootCert'.*unset without databaseUrl/);
  });

  it("reads host, port, database, user and password from the URL; TLS defaults to verify-full on the system CA store", () => {
    const s = loadSettings(source({ ...EXTERNAL, databaseUrl: URL }));
    assert.deepEqual(s.external?.connection, {
      host: "abc123.tsdb.cloud.timescale.com",
      port: 34567,
      database: "tsdb",
      user: "tsdbadmin",
      password: "s3cr@t",
      tls: { mode: "verify-full", rootCertFile: "system" },
    });
  });

  it("sslMode and sslRootCert (file, PEM or system) set the TLS; the URL's own sslmode/sslrootcert win", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ca-"));
    const file = path.join(dir, "ca.crt");
    fs.writeFileSync(file, PEM);
    const tls = (o: Record<string, unknown>) => loadSettings(source({ ...EXTERNAL, databaseUrl: URL, ...o })).external?.connection?.tls;
    assert.deepEqual(tls({ sslMode: "require" }), { mode: "require" });
    assert.deepEqual(tls({ sslMode: "verify-ca", sslRootCert: file }), { mode: "verify-ca", rootCert: PEM, rootCertFile: file });
    assert.deepEqual(tls({ sslMode: "verify-full", sslRootCert: PEM }), { mode: "verify-full", rootCert: PEM, rootCertFile: "inline" });
    assert.deepEqual(tls({ sslMode: "disable" }), { mode: "disable" });
    assert.deepEqual(tls({ sslMode: "require", databaseUrl: `${URL}?sslmode=verify-full&sslrootcert=system` }), { mode: "verify-full", rootCertFile: "system" }, "the URL wins");
    assert.deepEqual(tls({ sslMode: "require", databaseUrl: `${URL}?sslmode=require` }), { mode: "require" }, "a URL as weak as the stack's sslMode");
    assert.deepEqual(tls({ databaseUrl: `${URL}?sslmode=verify-ca&sslrootcert=${encodeURIComponent(file)}` }), { mode: "verify-ca", rootCert: PEM, rootCertFile: file });
    fs.rmSync(dir, { recursive: true });
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ["sslMode outside the four", { sslMode: "prefer" }, /^Invalid config 'sslMode': got "prefer"; expected one of disable, require, verify-ca, verify-full/],
    ["a missing CA file", { sslRootCert: "/nonexistent/ca.crt" }, /^Invalid config 'sslRootCert': got "\/nonexistent\/ca.crt"; .*this file does not exist\.$/],
    ["system with verify-ca", { sslMode: "verify-ca", sslRootCert: "system" }, /^Invalid config 'sslRootCert': got "system"; .*system needs verify-full/],
    ["the sidecar", { backupEnabled: "true" }, /^Invalid config 'backupEnabled': got "true"; expected false with databaseUrl: an external server is backed up by its service/],
    ["the exporters", { monitoringEnabled: "true" }, /^Invalid config 'monitoringEnabled': got "true"; expected false with databaseUrl/],
    ["a URL that is not one", { databaseUrl: "tsdb.example.com:5432" }, /^Invalid config 'databaseUrl': got "tsdb.example.com:5432"; expected .*postgresql:\/\/user:password@host:port\/database/],
    ["a URL without password", { databaseUrl: "postgresql://tsdbadmin@h:5432/tsdb" }, /^Invalid config 'databaseUrl'.*with the password of its user/],
    ["sslmode=allow in the URL", { databaseUrl: `${URL}?sslmode=allow` }, /^Invalid config 'databaseUrl'.*sslmode=allow is not supported/],
  ];
  for (const [what, overrides, message] of bad) {
    it(`refuses ${what} with one line naming the key, never the password`, () => {
      assert.throws(
        () => loadSettings(source({ ...EXTERNAL, databaseUrl: URL, ...overrides })),
        (e: Error) => {
          assert.match(e.message, message);
          assert.ok(!e.message.includes("s3cr"), "the password is not in the message");
          assert.ok(!e.message.includes("\n"));
          return true;
        },
      );
    });
  }

  it("refuses a databaseUrl kept in clear text, showing it without the password", () => {
    assert.throws(() => loadSettings(source({ ...EXTERNAL, databaseUrl: URL }, [])), (e: Error) => {
      assert.equal(
        e.message,
        `Invalid config 'databaseUrl': got "postgresql://tsdbadmin:***@abc123.tsdb.cloud.timescale.com:34567/tsdb"; expected a secret: it holds a password, so set it with \`pulumi config set --secret databaseUrl <url>\` (it is in clear text in the stack file now).`,
      );
      return true;
    });
    assert.equal(redactUrl("postgres://u:p@ss:w@h/db"), "postgres://u:***@h/db");
  });

  it("the tools, which cannot decrypt the URL, still know the stack is external", () => {
    const s = loadSettings({ ...source({ ...EXTERNAL }), get: (k) => (k === "databaseUrl" ? assert.fail("not read") : source(EXTERNAL).get(k)), isEncrypted: (k) => k === "databaseUrl" });
    assert.ok(s.external);
    assert.equal(s.external.connection, undefined);
    assert.match(s.external.tlsDescription, /sslmode=verify-full, sslrootcert=system/);
  });

  it("hands the postgresql provider lib/pq's sslmode and sslrootcert; an inline PEM becomes the same file every run", () => {
    assert.deepEqual(providerTls(undefined), { sslmode: "disable" });
    assert.deepEqual(providerTls({ mode: "verify-full", rootCertFile: "system" }), { sslmode: "verify-full", sslrootcert: "system" });
    assert.deepEqual(providerTls({ mode: "prefer" }), { sslmode: "require" });
    const a = providerTls({ mode: "verify-ca", rootCert: PEM, rootCertFile: "inline" });
    const b = providerTls({ mode: "verify-ca", rootCert: PEM, rootCertFile: "inline" });
    assert.equal(a.sslrootcert, b.sslrootcert);
    assert.equal(fs.readFileSync(String(a.sslrootcert), "utf8"), PEM);
  });
});

describe("external mode: the program under mocks", function () {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram("prod", { ...EXTERNAL, databaseUrl: URL }, true, ["databaseUrl"]);
  });

  it("registers no Docker resource, no generated superuser password, no sidecar and no exporter", () => {
    assert.deepEqual(run.resources.filter((r) => r.type.startsWith("docker:")).map((r) => r.name), []);
    assert.deepEqual(run.resources.filter((r) => /superuser-password|backup|metrics/.test(r.name)).map((r) => r.name), []);
  });

  it("configures the postgresql provider with the URL's host, port, user and database, verify-full, and superuser false", () => {
    const provider = run.one("pulumi:providers:postgresql");
    assert.equal(plain(provider.inputs.host), "abc123.tsdb.cloud.timescale.com");
    assert.equal(Number(plain(provider.inputs.port)), 34567);
    assert.equal(plain(provider.inputs.username), "tsdbadmin");
    assert.equal(plain(provider.inputs.database), "tsdb");
    assert.equal(plain(provider.inputs.sslmode), "verify-full");
    assert.equal(plain(provider.inputs.sslrootcert), "system");
    assert.equal(String(provider.inputs.superuser), "false", "provider config is handed over as strings");
    assert.ok(isSecretInput(provider.inputs.password));
    assert.equal(unwrapSecretInput(provider.inputs.password), "s3cr@t");
  });

  it("every dynamic resource connects with the same TLS; the owner is the URL's user", () => {
    const dynamic = run.ofType("pulumi-nodejs:dynamic:Resource");
    assert.ok(dynamic.length >= 4 + 12 + 2);
    for (const r of dynamic) {
      assert.deepEqual(plain(r.inputs.tls), { mode: "verify-full", rootCertFile: "system" }, r.name);
      assert.equal(plain(r.inputs.user), "tsdbadmin", r.name);
      assert.ok(isSecretInput(r.inputs.password), `${r.name}: password secret`);
    }
    assert.equal(plain(run.one("postgresql:index/schema:Schema").inputs.owner), "tsdbadmin");
    for (const d of run.ofType("postgresql:index/defaultPrivileges:DefaultPrivileges")) assert.equal(plain(d.inputs.owner), "tsdbadmin");
  });

  it("adopts-or-creates the writer and reader (DatabaseRole), with secret passwords; no postgresql.Role, no grants to the owner", () => {
    assert.deepEqual(run.ofType("postgresql:index/role:Role"), []);
    const roles = run.ofType("pulumi-nodejs:dynamic:Resource").filter((r) => /-(writer|reader)$/.test(r.name));
    assert.deepEqual(roles.map((r) => plain(r.inputs.name)).sort(), ["crypto_scout_reader", "crypto_scout_writer"]);
    for (const r of roles) {
      assert.ok(isSecretInput(r.inputs.passwordVerifier), `${r.name}: role password secret`);
      // Only the verifier of the generated password, with the role's generated salt; no password in clear.
      const salt = mockedRandomBytes(`${r.name}-password-salt`, 16);
      assert.equal(unwrapSecretInput(r.inputs.passwordVerifier), scramSha256Verifier(`generated-${r.name}-password`, salt), r.name);
      assert.equal(r.inputs.rolePassword, undefined, `${r.name}: no rolePassword input`);
      assert.ok((r.options.additionalSecretOutputs ?? []).includes("passwordVerifier"), `${r.name}: verifier secret in state`);
      assert.deepEqual(plain(r.inputs.attributes), { login: true, inherit: true, connectionLimit: -1 });
    }
    const grants = run.ofType("postgresql:index/grant:Grant");
    assert.deepEqual(grants.map((g) => g.name.replace("crypto-scout-", "")).sort(), ["reader-schema", "reader-tables", "writer-schema", "writer-sequences", "writer-tables"]);
    assert.deepEqual(run.ofType("postgresql:index/extension:Extension").map((e) => e.inputs.name), ["timescaledb"]);
  });

  it("exports the server and secret connection URLs that carry the TLS settings; nothing Docker", async () => {
    assert.deepEqual([run.outputs.host, run.outputs.port, run.outputs.database, run.outputs.superuser], ["abc123.tsdb.cloud.timescale.com", 34567, "tsdb", "tsdbadmin"]);
    for (const key of ["superuserPassword", "connectionUrl", "writerPassword", "readerPassword", "writerConnectionUrl", "readerConnectionUrl"]) {
      assert.ok(await isSecret(run.exports[key]), `${key} is secret`);
    }
    assert.match(String(run.outputs.writerConnectionUrl), /^postgresql:\/\/crypto_scout_writer:[A-Za-z0-9-]+@abc123\.tsdb\.cloud\.timescale\.com:34567\/tsdb\?sslmode=verify-full&sslrootcert=system$/);
    assert.equal(run.outputs.connectionUrl, `${URL.replace("s3cr%40t", "s3cr%40t")}?sslmode=verify-full&sslrootcert=system`);
    for (const key of ["networkName", "containerName", "backupContainerName", "backupLocation", "metricsEndpoints", "monitoringRole"]) assert.equal(run.outputs[key], undefined, key);
  });

  it("fails before creating anything when the stack still asks for the backup sidecar", async () => {
    await assert.rejects(runProgram("prod", { databaseUrl: URL, monitoringEnabled: "false" }, true, ["databaseUrl"]), (e: ProgramError) => {
      assert.match(e.message, /^Invalid config 'backupEnabled': got "true"; expected false with databaseUrl/);
      assert.ok(pulumi.RunError.isInstance(e));
      assert.deepEqual(e.registered, []);
      return true;
    });
  });
});

describe("external mode: the tools", () => {
  it("print-settings says the container tuning does not apply, without needing to decrypt the URL", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ext-project-"));
    try {
      fs.copyFileSync(path.resolve(__dirname, "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      fs.writeFileSync(
        path.join(dir, "Pulumi.cloud.yaml"),
        "encryptionsalt: v1:abc\nconfig:\n  crypto-scout-db:databaseUrl:\n    secure: v1:AAAA\n  crypto-scout-db:backupEnabled: false\n  crypto-scout-db:monitoringEnabled: false\n",
      );
      const out: string[] = [];
      const err: string[] = [];
      assert.equal(printSettings(["--stack", "cloud"], dir, (l) => out.push(l), (l) => err.push(l)), 0, err.join("\n"));
      assert.match(out.join("\n"), /^stack cloud: external server \(databaseUrl, encrypted in the stack file\), TLS sslmode=verify-full, sslrootcert=system .*\nThe container tuning does not apply/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
