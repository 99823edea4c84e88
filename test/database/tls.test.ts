/**
 * TLS with libpq's sslmode/sslrootcert meaning, for the schema CLI's --database-url (parseDatabaseUrl) and `connect`.
 *
 * Against Debian's PostgreSQL 15 started here on a free loopback port with `ssl = on`, a CA and a server certificate
 * for `localhost` made here with the openssl CLI, and a pg_hba.conf that only has `hostssl` lines (scram-sha-256).
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "pg-connection-string";
import { parseDatabaseUrl } from "../../components/database/providers/connection";
import { tlsOptions, waitForServer, withClient, type Connection } from "../../components/database/providers/live";
import { main } from "../../scripts/schema";
import { loadSettings } from "../../components/config/settings";
import { PROJECT, stackConfig } from "../../components/config/stack-files";
import { escapeRegExp } from "../support/timescale";
import { pg15Missing, startPg15, type Pg15 } from "../support/pg15";

const USER = "tls_tester";
const PASSWORD = "s3cret:pw";

function openssl(cwd: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA (`name`.crt/.key) and, when `server` is given, a server certificate for DNS:localhost signed by it. */
function makeCa(dir: string, name: string): void {
  openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.crt`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
}

function makeServerCert(dir: string, ca: string): void {
  openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr");
  fs.writeFileSync(path.join(dir, "server.ext"), "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.crt");
}

describe("TLS: the URL's sslmode and sslrootcert, with libpq's meaning", function () {
  this.timeout(20_000);
  let server: Pg15 | undefined;
  let dir: string;
  let port: number;
  const url = (host: string, query: string) => `postgresql://${USER}:${encodeURIComponent(PASSWORD)}@${host}:${port}/postgres${query ? `?${query}` : ""}`;
  const ca = () => path.join(dir, "ca.crt");
  const wrongCa = () => path.join(dir, "wrong-ca.crt");
  /** `SELECT ssl FROM pg_stat_ssl` for this backend, over a connection parsed from `u`. */
  const sslInUse = (u: string) => withClient(parseDatabaseUrl(u, "--database-url"), async (client) => (await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).rows[0].ssl as boolean);
  /** The message of the error `p` rejects with. */
  const failure = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail("expected a failure");
  };

  before(async function () {
    const missing = pg15Missing();
    if (missing) {
      console.log(`      SKIPPED (not run, not passed): ${missing}`);
      this.skip();
    }
    if (!fs.existsSync("/usr/bin/openssl") && !process.env.PATH?.split(":").some((d) => fs.existsSync(path.join(d, "openssl")))) {
      console.log("      SKIPPED (not run, not passed): no openssl CLI to make the test certificates");
      this.skip();
    }
    server = await startPg15({
      user: USER,
      password: PASSWORD,
      prepare: (pg, pgdata) => {
        makeCa(pg.dir, "ca");
        makeCa(pg.dir, "wrong-ca");
        makeServerCert(pg.dir, "ca");
        for (const f of ["server.crt", "server.key", "ca.crt"]) pg.own(path.join(pg.dir, f));
        fs.writeFileSync(path.join(pgdata, "pg_hba.conf"), `hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n`);
        const ssl = ["ssl = on", `ssl_cert_file = '${path.join(pg.dir, "server.crt")}'`, `ssl_key_file = '${path.join(pg.dir, "server.key")}'`];
        fs.appendFileSync(path.join(pgdata, "postgresql.conf"), `\n${ssl.join("\n")}\n`);
      },
    });
    dir = server.dir;
    port = server.port;
  });

  after(function () {
    server?.stop();
  });

  it("verify-full with the right CA connects, and the session is encrypted", async () => {
    assert.equal(await sslInUse(url("localhost", `sslmode=verify-full&sslrootcert=${ca()}`)), true);
  });

  it("verify-full with a wrong CA fails with one line naming host, port, the TLS error and the settings", async () => {
    const message = await failure(sslInUse(url("localhost", `sslmode=verify-full&sslrootcert=${wrongCa()}`)));
    assert.match(message, new RegExp(`^TLS to localhost:${port} failed: [^\\n]*certificate[^\\n]* \\(sslmode=verify-full, sslrootcert=${escapeRegExp(wrongCa())}\\)$`));
  });

  it("verify-full to 127.0.0.1 fails on the host name (the certificate is for localhost); verify-ca passes", async () => {
    const message = await failure(sslInUse(url("127.0.0.1", `sslmode=verify-full&sslrootcert=${ca()}`)));
    assert.match(message, new RegExp(`^TLS to 127\\.0\\.0\\.1:${port} failed: .*IP: 127\\.0\\.0\\.1 is not in the cert's list.* \\(sslmode=verify-full, sslrootcert=`));
    assert.equal(await sslInUse(url("127.0.0.1", `sslmode=verify-ca&sslrootcert=${ca()}`)), true);
    // verify-ca still checks the chain.
    assert.match(await failure(sslInUse(url("127.0.0.1", `sslmode=verify-ca&sslrootcert=${wrongCa()}`))), /^TLS to 127\.0\.0\.1:\d+ failed: .*\(sslmode=verify-ca, /);
  });

  it("require connects without checking the certificate; with a root certificate it checks the chain, as libpq does", async () => {
    assert.equal(await sslInUse(url("127.0.0.1", "sslmode=require")), true);
    assert.equal(await sslInUse(url("127.0.0.1", "sslmode=prefer")), true, "prefer acts as require");
    assert.equal(await sslInUse(url("127.0.0.1", `sslmode=require&sslrootcert=${ca()}`)), true);
    assert.match(await failure(sslInUse(url("127.0.0.1", `sslmode=require&sslrootcert=${wrongCa()}`))), /^TLS to 127\.0\.0\.1:\d+ failed: .*\(sslmode=require, sslrootcert=/);
  });

  it("sslmode=disable (and no sslmode) against a hostssl-only server fails clearly, and is not retried", async () => {
    for (const query of ["sslmode=disable", ""]) {
      const message = await failure(sslInUse(url("127.0.0.1", query)));
      assert.match(message, new RegExp(`^127\\.0\\.0\\.1:${port} requires TLS: no pg_hba\\.conf entry .*no encryption \\((sslmode=disable|no sslmode, so no TLS); use sslmode=verify-full with sslrootcert\\)$`));
    }
    const started = Date.now();
    const message = await failure(waitForServer(parseDatabaseUrl(url("127.0.0.1", "sslmode=disable")), 30));
    assert.match(message, /rejected user tls_tester: .*requires TLS/);
    assert.ok(Date.now() - started < 5000, "failed at once");
  });

  it("waitForServer fails at once on a certificate that does not verify (not retried as 'not ready')", async () => {
    const started = Date.now();
    const message = await failure(waitForServer(parseDatabaseUrl(url("localhost", `sslmode=verify-full&sslrootcert=${wrongCa()}`)), 30));
    assert.match(message, new RegExp(`^TLS to localhost:${port} failed: `));
    assert.ok(Date.now() - started < 5000, `failed at once, not after 30 s (${Date.now() - started} ms)`);
  });

  it("a server without TLS fails with the clear line for require", async () => {
    // A listener that answers the SSLRequest with 'N', as a server with ssl = off does.
    const plain = net.createServer((s) => s.once("data", () => s.write("N")));
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    const plainPort = (plain.address() as net.AddressInfo).port;
    try {
      const c: Connection = { ...parseDatabaseUrl(url("127.0.0.1", "sslmode=require")), port: plainPort };
      const started = Date.now();
      assert.equal(await failure(waitForServer(c, 30)), `TLS to 127.0.0.1:${plainPort} failed: The server does not support SSL connections (sslmode=require)`);
      assert.ok(Date.now() - started < 5000, "failed at once");
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it("an external stack's sslMode and sslRootCert (file or PEM) reach the connection; the URL's sslmode wins; the default system store refuses a private CA", async () => {
    const stack = (o: Record<string, unknown>) =>
      loadSettings({
        get: (k) => ({ ...stackConfig("prod"), ...Object.fromEntries(Object.entries({ backupEnabled: "false", monitoringEnabled: "false", ...o }).map(([key, v]) => [`${PROJECT}:${key}`, v])) })[`${PROJECT}:${k}`],
        isSecret: () => true,
      }).external?.connection as Connection;
    const encrypted = (c: Connection) => withClient(c, async (client) => (await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).rows[0].ssl as boolean);
    assert.equal(await encrypted(stack({ databaseUrl: url("localhost", ""), sslMode: "verify-full", sslRootCert: ca() })), true);
    assert.equal(await encrypted(stack({ databaseUrl: url("localhost", ""), sslRootCert: fs.readFileSync(ca(), "utf8") })), true, "PEM text, verify-full by default");
    assert.equal(await encrypted(stack({ databaseUrl: url("127.0.0.1", "sslmode=require"), sslRootCert: wrongCa() })), true, "the URL's sslmode wins (and without its own sslrootcert, require does not verify)");
    const system = await failure(encrypted(stack({ databaseUrl: url("localhost", "") })));
    assert.match(system, new RegExp(`^TLS to localhost:${port} failed: .*certificate.* \\(sslmode=verify-full, sslrootcert=system\\)$`));
    const plainMode = await failure(encrypted(stack({ databaseUrl: url("127.0.0.1", ""), sslMode: "disable" })));
    assert.match(plainMode, /requires TLS: .*no encryption/);
  });

  it("the schema CLI with an external stack: a URL without sslmode gets the stack's TLS (verify-full, its sslRootCert)", async () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "ext-cli-"));
    try {
      fs.copyFileSync(path.resolve(__dirname, "..", "..", "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
      const stackFile = (rootCert: string) =>
        fs.writeFileSync(
          path.join(project, "Pulumi.cloud.yaml"),
          `encryptionsalt: v1:abc\nconfig:\n  crypto-scout-db:databaseUrl:\n    secure: v1:AAAA\n  crypto-scout-db:backupEnabled: false\n  crypto-scout-db:monitoringEnabled: false\n  crypto-scout-db:sslRootCert: ${rootCert}\n`,
        );
      const apply = async (u: string) => {
        const err: string[] = [];
        const code = await main(["apply", "--stack", "cloud", "--database-url", u], () => undefined, (l) => err.push(l), project);
        return { code, err: err.join("\n") };
      };
      stackFile(wrongCa());
      const wrong = await apply(url("localhost", ""));
      assert.match(wrong.err, new RegExp(`TLS to localhost:${port} failed: .*\\(sslmode=verify-full, sslrootcert=${escapeRegExp(wrongCa())}\\)$`));
      stackFile(ca());
      const right = await apply(url("localhost", ""));
      assert.match(right.err, /timescaledb/, "connected over verified TLS; this server has no timescaledb");
      assert.doesNotMatch(right.err, /TLS to|requires TLS/);
      // The URL's own sslmode wins over the stack's.
      assert.match((await apply(url("127.0.0.1", "sslmode=disable"))).err, /requires TLS/);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  it("the schema CLI: a wrong CA stops apply before anything is sent; the right CA gets through TLS", async () => {
    const run = async (u: string) => {
      const err: string[] = [];
      const code = await main(["apply", "--stack", "dev", "--database-url", u], () => undefined, (l) => err.push(l));
      return { code, err: err.join("\n") };
    };
    const wrong = await run(url("localhost", `sslmode=verify-full&sslrootcert=${wrongCa()}`));
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, new RegExp(`^schema apply failed for crypto_scout at localhost:${port}/postgres: TLS to localhost:${port} failed: .*\\(sslmode=verify-full, sslrootcert=${escapeRegExp(wrongCa())}\\)$`));
    // This server has no timescaledb: the first statement fails, which shows the connection itself was made.
    const right = await run(url("localhost", `sslmode=verify-full&sslrootcert=${ca()}`));
    assert.equal(right.code, 1);
    assert.match(right.err, /timescaledb/);
    assert.doesNotMatch(right.err, /TLS to/);
  });
});

describe("TLS: parseDatabaseUrl reads sslmode and sslrootcert with libpq's meaning", () => {
  let dir: string;
  let caFile: string;
  const base = "postgresql://u:p@db.example.com:5432/tsdb";
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tls-url-test-"));
    caFile = path.join(dir, "ca.crt");
    fs.writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const pem = () => fs.readFileSync(caFile, "utf8");
  const rootCrt = path.join(os.homedir(), ".postgresql", "root.crt");

  it("without sslmode: no TLS, and no tls field (existing stacks see no diff)", () => {
    assert.deepEqual(parseDatabaseUrl(base), { host: "db.example.com", port: 5432, database: "tsdb", user: "u", password: "p" });
    assert.equal(tlsOptions(parseDatabaseUrl(base).tls), false);
    assert.deepEqual(parseDatabaseUrl(`${base}?application_name=x`), parseDatabaseUrl(base));
  });

  it("keeps mode and CA (PEM) as data, naming the file", () => {
    assert.deepEqual(parseDatabaseUrl(`${base}?sslmode=disable`).tls, { mode: "disable" });
    assert.deepEqual(parseDatabaseUrl(`${base}?sslmode=verify-full&sslrootcert=${caFile}`).tls, { mode: "verify-full", rootCert: pem(), rootCertFile: caFile });
    assert.deepEqual(parseDatabaseUrl(`${base}?sslrootcert=${caFile}&sslmode=verify-ca`).tls, { mode: "verify-ca", rootCert: pem(), rootCertFile: caFile });
    assert.deepEqual(parseDatabaseUrl(`${base}?sslmode=verify-full&sslrootcert=system`).tls, { mode: "verify-full", rootCertFile: "system" });
    assert.deepEqual(parseDatabaseUrl(`${base}?sslrootcert=system`).tls, { mode: "verify-full", rootCertFile: "system" }, "libpq 16: system makes verify-full the default");
    assert.deepEqual(parseDatabaseUrl(`${base}?sslrootcert=${caFile}`).tls, { mode: "prefer", rootCert: pem(), rootCertFile: caFile }, "libpq's default sslmode is prefer");
    const other = parseDatabaseUrl(`${base}?sslmode=verify-full&sslrootcert=${caFile}&application_name=x`);
    assert.deepEqual({ ...other, tls: undefined }, { ...parseDatabaseUrl(base), tls: undefined });
    if (!fs.existsSync(rootCrt)) assert.deepEqual(parseDatabaseUrl(`${base}?sslmode=require`).tls, { mode: "require" });
  });

  it("refuses what it cannot honour, with one line naming the parameter or file", () => {
    const refused = (u: string, re: RegExp) => assert.throws(() => parseDatabaseUrl(u, "--database-url"), re);
    refused(`${base}?sslmode=verify-full&sslrootcert=${dir}/missing.crt`, new RegExp(`^Error: --database-url: sslrootcert file ${escapeRegExp(dir)}/missing\\.crt does not exist$`));
    refused(`${base}?sslmode=verify-full&sslrootcert=${dir}`, /sslrootcert file .* cannot be read/);
    fs.writeFileSync(path.join(dir, "not-pem"), "hello");
    refused(`${base}?sslmode=verify-ca&sslrootcert=${dir}/not-pem`, /sslrootcert file .*not-pem holds no PEM certificate/);
    refused(`${base}?sslmode=allow`, /sslmode=allow is not supported .*use sslmode=disable or sslmode=require/);
    refused(`${base}?sslmode=verify_full`, /invalid sslmode "verify_full" \(libpq's values: disable, allow, prefer, require, verify-ca, verify-full\)/);
    refused(`${base}?sslmode=require&sslrootcert=system`, /sslrootcert=system needs sslmode=verify-full/);
    refused(`${base}?sslmode=require&sslcert=/x.crt`, /the URL parameter sslcert is not supported \(only sslmode and sslrootcert are\)/);
    refused(`${base}?ssl=true`, /the URL parameter ssl is not supported/);
    refused(`${base}?uselibpqcompat=true&sslmode=require`, /the URL parameter uselibpqcompat is not supported/);
    if (!fs.existsSync(rootCrt)) {
      refused(`${base}?sslmode=verify-full`, /sslmode=verify-full needs a root certificate: add sslrootcert=.*does not exist$/);
      refused(`${base}?sslmode=verify-ca`, /sslmode=verify-ca needs a root certificate/);
    }
  });

  it("maps modes to pg's ssl option as pg-connection-string's useLibpqCompat does, where that is libpq", () => {
    const shape = (o: unknown) => {
      if (o === false) return "no TLS";
      const t = o as { ca?: string; rejectUnauthorized?: boolean; checkServerIdentity?: () => unknown };
      return { ca: t.ca, verifiesChain: t.rejectUnauthorized !== false, checksHostName: t.rejectUnauthorized !== false && t.checkServerIdentity === undefined };
    };
    const query = ["sslmode=disable", "sslmode=require", `sslmode=require&sslrootcert=${caFile}`, `sslmode=verify-ca&sslrootcert=${caFile}`, `sslmode=verify-full&sslrootcert=${caFile}`, `sslmode=verify-full`];
    for (const q of query) {
      const libpq = parse(`${base}?${q}`, { useLibpqCompat: true }).ssl;
      if (q === "sslmode=verify-full" && !fs.existsSync(rootCrt)) continue; // we refuse it (libpq: no root.crt); pg would use Node's CAs
      assert.deepEqual(shape(tlsOptions(parseDatabaseUrl(`${base}?${q}`).tls)), shape(libpq), q);
    }
  });
});
