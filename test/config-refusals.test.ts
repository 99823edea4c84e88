/**
 * What preview refuses before anything exists: postgresSettings entries the deployment relies on, host directories
 * that are system or shared directories, not normal, or nested in each other, TLS keys that contradict each other, and
 * messages that could show a secret. Pure rules through `loadSettings` / `loadStackDefinition` (the stack's real
 * config with keys replaced), then the whole program under mocks and the tools.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { loadSettings, type ConfigSource } from "../components/config/settings";
import { loadStackDefinition } from "../components/config/stack";
import { PROJECT, stackConfig } from "../components/config/stack-files";
import { ConfigError, redactSecrets } from "../components/config/units";
import { RESERVED_SETTINGS, MIN_TIMESCALEDB_BACKGROUND_WORKERS } from "../components/config/reserved-settings";
import { ipAddress } from "../components/args";
import { runProgram, type ProgramError } from "./support/program";
import { main as printSettings } from "../scripts/print-settings";
import { main as schemaTool } from "../scripts/schema";

/** The stack's real config with some keys replaced (undefined removes one); `secrets` are kept secret by the stack. */
function source(stack: string, overrides: Record<string, unknown>, secrets: readonly string[] = []): ConfigSource {
  const values = stackConfig(stack);
  const keys = new Set([...Object.keys(values).map((k) => k.slice(PROJECT.length + 1)), ...Object.keys(overrides)]);
  return {
    get: (key) => (key in overrides ? overrides[key] : values[`${PROJECT}:${key}`]),
    keys: () => [...keys].filter((k) => !(k in overrides) || overrides[k] !== undefined),
    isSecret: (key) => secrets.includes(key),
  };
}

/** The one-line message `load` throws; fails when it does not throw a ConfigError. */
function refusal(load: () => unknown): string {
  try {
    load();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `a ConfigError, got ${(e as Error).stack}`);
    assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
    return e.message;
  }
  assert.fail("not refused");
}

const pg = (settings: Record<string, unknown>, more: Record<string, unknown> = {}) => source("prod", { postgresSettings: settings, ...more });

describe("preview refuses postgresSettings the deployment relies on", () => {
  const refused: Array<[string, string, Record<string, unknown>, RegExp]> = [
    ["port", "5433", {}, /uses? hostPort|set hostPort/],
    ["listen_addresses", "localhost", {}, /listens on every interface/],
    ["listen_addresses", "*", {}, /no listen_addresses entry/],
    ["ssl", "on", {}, /no server certificate/],
    ["ssl", "true", {}, /no server certificate/],
    ["data_directory", "/tmp/pg", {}, /in the data volume/],
    ["config_file", "/etc/postgresql.conf", {}, /in the data volume/],
    ["hba_file", "/tmp/hba.conf", {}, /pg_hba\.conf/],
    ["ident_file", "/tmp/ident.conf", {}, /in the data volume/],
    ["unix_socket_directories", "/tmp", {}, /\/var\/run\/postgresql/],
    ["password_encryption", "md5", {}, /SCRAM-SHA-256 logins only/],
    ["max_connections", "300", {}, /set maxConnections instead/],
    ["shared_preload_libraries", "pg_stat_statements", {}, /includes timescaledb and pg_stat_statements .*"timescaledb,pg_stat_statements"/],
    ["shared_preload_libraries", "timescaledb", {}, /monitoringEnabled is true/],
    ["shared_preload_libraries", "timescaledb,auto_explain", {}, /e\.g\. "timescaledb,pg_stat_statements,auto_explain"/],
    ["timescaledb.max_background_workers", "0", {}, new RegExp(`at least ${MIN_TIMESCALEDB_BACKGROUND_WORKERS} .*no policy ever runs`)],
    ["timescaledb.max_background_workers", "3", {}, /at least 4/],
    ["timescaledb.restoring", "on", {}, /starts no scheduler/],
    ["wal_level", "minimal", {}, /point-in-time recovery need at least replica/],
    ["wal_level", "MINIMAL", {}, /replica or logical/],
    ["log_statement", "all", {}, /none or ddl/],
    ["log_statement", "mod", {}, /none or ddl/],
    ["log_min_duration_statement", "0", {}, /0 logs every statement/],
    ["log_min_duration_statement", "0ms", {}, /0 logs every statement/],
    ["default_transaction_read_only", "on", {}, /all write/],
    ["superuser_reserved_connections", "200", {}, /superuser_reserved_connections 200 \+ reserved_connections 0 below maxConnections 200/],
    ["reserved_connections", "197", {}, /superuser_reserved_connections 3 \+ reserved_connections 197/],
    ["compute_query_id", "off", {}, /pg_stat_statements records nothing/],
    ["pg_stat_statements.track", "none", {}, /records nothing/],
  ];
  for (const [name, value, more, why] of refused) {
    it(`${name}=${value}: one line naming postgresSettings.${name}, the value and what to do`, () => {
      const message = refusal(() => loadSettings(pg({ [name]: value }, more)));
      assert.ok(message.startsWith(`Invalid config 'postgresSettings.${name}': got ${JSON.stringify(value)}; expected `), message);
      assert.match(message, why);
    });
  }

  it("names the setting as the stack wrote it (PostgreSQL matches case-insensitively, '-' as '_')", () => {
    assert.match(refusal(() => loadSettings(pg({ "Listen-Addresses": "*" }))), /^Invalid config 'postgresSettings\.Listen-Addresses'/);
  });

  const accepted: Array<[Record<string, unknown>, Record<string, unknown>]> = [
    [{ ssl: "off", password_encryption: "scram-sha-256", wal_level: "logical", log_statement: "ddl" }, {}],
    [{ shared_preload_libraries: "timescaledb,pg_stat_statements,auto_explain", "timescaledb.max_background_workers": String(MIN_TIMESCALEDB_BACKGROUND_WORKERS) }, {}],
    [{ log_min_duration_statement: "-1", superuser_reserved_connections: "5", "timescaledb.restoring": "off", default_transaction_read_only: "off" }, {}],
    // Without the exporters, pg_stat_statements is the stack's own business.
    [{ shared_preload_libraries: "timescaledb", compute_query_id: "off", "pg_stat_statements.track": "none" }, { monitoringEnabled: "false" }],
  ];
  for (const [settings, more] of accepted) {
    it(`accepts ${JSON.stringify(settings)}${Object.keys(more).length ? ` with ${JSON.stringify(more)}` : ""}, and the tuning passes them on`, () => {
      const { tuning } = loadStackDefinition(pg(settings, more));
      for (const [name, value] of Object.entries(settings)) assert.equal(tuning.settings.find((s) => s.name === name)?.value, value);
    });
  }

  it("every refused setting is documented in docs/configuration-postgres-settings.md, with its reason", () => {
    const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "configuration-postgres-settings.md"), "utf8");
    for (const s of RESERVED_SETTINGS) assert.match(doc, new RegExp(`^\\| \`${s.name.replace(/\./g, "\\.")}\` \\|`, "m"), `${s.name} has a row in the table`);
  });
});

describe("preview refuses host directories that are not the deployment's own", () => {
  const refused: Array<[string, RegExp]> = [
    ["/", /not the root of the host's file system \(/],
    ["/etc", /outside \/etc \(the host's own files/],
    ["/etc/postgresql", /outside \/etc/],
    ["/usr/local/pg", /outside \/usr/],
    ["/var", /under \/var, not \/var itself/],
    ["/var/lib", /under \/var\/lib, not \/var\/lib itself/],
    ["/var/lib/docker/volumes/x", /outside \/var\/lib\/docker/],
    ["/home", /under \/home, not \/home itself/],
    ["/home/alice", /under \/home\/alice, not \/home\/alice itself/],
    ["/root", /not \/root itself/],
    ["/srv", /not \/srv itself/],
    ["/tmp/pg", /outside \/tmp \(emptied at boot\)/],
    ["/proc/1", /outside \/proc/],
    ["/lib64/x", /outside \/lib64/],
    ["/srv/./pg", /a path in normal form, such as "\/srv\/pg"/],
    ["/srv//pg", /a path in normal form, such as "\/srv\/pg"/],
    ["/srv/x/../pg", /a path in normal form, such as "\/srv\/pg"/],
    ["/srv/pg/.", /normal form/],
    ["srv/pg", /an absolute directory path/],
    ["/srv/pg:rw", /an absolute directory path/],
  ];
  for (const key of ["dataHostPath", "backupHostPath"]) {
    for (const [p, why] of refused) {
      it(`${key}: ${p}`, () => {
        const message = refusal(() => loadSettings(source("prod", { [key]: p })));
        assert.ok(message.startsWith(`Invalid config '${key}': got ${JSON.stringify(p)}; expected `), message);
        assert.match(message, why);
      });
    }
  }

  it("names what the deployment does with each directory", () => {
    assert.match(refusal(() => loadSettings(source("prod", { dataHostPath: "/" }))), /\(the server image's entrypoint re-owns the whole directory to its postgres user\)/);
    assert.match(refusal(() => loadSettings(source("prod", { backupHostPath: "/opt" }))), /the backup sidecar creates its folders there and deletes old dumps/);
  });

  const nestedPairs: Array<[string, string, string]> = [
    ["/srv/cs/data", "/srv/cs/data", "the same directory as"],
    ["/srv/cs/data/", "/srv/cs/data", "the same directory as"],
    ["/srv/cs/data", "/srv/cs/data/backups", "inside"],
    ["/srv/cs/data", "/srv/cs", "a parent of"],
  ];
  for (const [data, backup, how] of nestedPairs) {
    it(`backups ${backup} beside data ${data}: refused, compared after normalising`, () => {
      const message = refusal(() => loadSettings(source("prod", { dataHostPath: data, backupHostPath: backup })));
      assert.ok(message.startsWith(`Invalid config 'backupHostPath': got ${JSON.stringify(backup)}; expected a directory outside dataHostPath "/srv/cs/data"`), message);
      assert.match(message, new RegExp(`this one is ${how} it`));
    });
  }

  it("accepts directories of their own, side by side, trailing slashes dropped", () => {
    const s = loadSettings(source("prod", { dataHostPath: "/srv/cs/data/", backupHostPath: "/srv/cs/data-backups" }));
    assert.deepEqual([s.data, s.backup.location], [{ kind: "hostPath", path: "/srv/cs/data" }, { kind: "hostPath", path: "/srv/cs/data-backups" }]);
    for (const p of ["/var/lib/crypto-scout", "/home/alice/pg", "/mnt/disk1/pg", "/Users/alice/pg", "/data"]) {
      assert.deepEqual(loadSettings(source("prod", { dataHostPath: p })).data, { kind: "hostPath", path: p });
    }
  });
});

describe("preview refuses TLS keys that contradict each other", () => {
  const URL = "postgresql://tsdbadmin:s3cr%40t@db.example.com:5432/tsdb";
  const external = (o: Record<string, unknown>) => source("prod", { backupEnabled: "false", monitoringEnabled: "false", databaseUrl: URL, ...o }, ["databaseUrl"]);

  it("sslMode verify-ca without sslRootCert (verify-ca against the system store checks nothing worth having)", () => {
    assert.equal(
      refusal(() => loadSettings(external({ sslMode: "verify-ca" }))),
      "Invalid config 'sslMode': got \"verify-ca\"; expected verify-full, or verify-ca with sslRootCert set to the CA file or PEM that signed the server's certificate (verify-ca checks no host name, so it needs a CA of its own).",
    );
  });

  const weaker: Array<[string, Record<string, unknown>, RegExp]> = [
    ["sslmode=disable", {}, /weaker than the stack's default sslMode verify-full for db\.example\.com, .*sslmode=disable would win over the stack's TLS keys and connect without TLS; remove sslmode from the URL, or set sslMode disable too/],
    ["sslmode=require", {}, /default sslMode verify-full .*sslmode=require .*without checking the server's certificate; .*set sslMode require too/],
    ["sslmode=prefer", { sslMode: "verify-full" }, /the stack's sslMode verify-full .*sslmode=prefer .*set sslMode require too/],
    ["sslmode=disable", { sslMode: "require" }, /the stack's sslMode require .*without TLS/],
  ];
  for (const [query, keys, message] of weaker) {
    it(`a databaseUrl with ${query} under ${JSON.stringify(keys)}: refused, naming the URL's sslmode without its password`, () => {
      const m = refusal(() => loadSettings(external({ databaseUrl: `${URL}?${query}`, ...keys })));
      assert.ok(m.startsWith(`Invalid config 'databaseUrl': got "postgresql://tsdbadmin:***@db.example.com:5432/tsdb?${query}"; expected no sslmode weaker than`), m);
      assert.match(m, message);
      assert.ok(!m.includes("s3cr"));
    });
  }

  it("accepts what the stack says twice, a loopback host, and a URL that names its own CA", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ca-"));
    const ca = path.join(dir, "ca.crt");
    fs.writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n");
    try {
      const tls = (o: Record<string, unknown>) => loadSettings(external(o)).external?.connection?.tls;
      assert.deepEqual(tls({ databaseUrl: `${URL}?sslmode=disable`, sslMode: "disable" }), { mode: "disable" });
      assert.deepEqual(tls({ databaseUrl: `${URL}?sslmode=require`, sslMode: "require" }), { mode: "require" });
      assert.deepEqual(tls({ databaseUrl: "postgresql://u:pw@127.0.0.1:5432/db?sslmode=disable" }), { mode: "disable" });
      assert.deepEqual(tls({ databaseUrl: "postgresql://u:pw@localhost:5432/db?sslmode=require" }), { mode: "require" });
      assert.deepEqual(tls({ databaseUrl: "postgresql://u:pw@[::1]:5432/db?sslmode=disable" }), { mode: "disable" });
      assert.equal(tls({ databaseUrl: `${URL}?sslmode=verify-ca&sslrootcert=${encodeURIComponent(ca)}` })?.mode, "verify-ca");
      // require with a root certificate verifies the chain (as libpq does): as strong as the stack's require + CA.
      assert.equal(tls({ databaseUrl: `${URL}?sslmode=require&sslrootcert=${encodeURIComponent(ca)}`, sslMode: "require", sslRootCert: ca })?.mode, "require");
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe("messages show no secret, and input errors are one line", () => {
  const PASSWORD = "hunter2-very-secret";
  const URL = `postgresql://tsdbadmin:${PASSWORD}@db.example.com:5432/tsdb`;

  it("a secret databaseUrl under a mistyped key (databaseURL): the key, never the value", () => {
    const m = refusal(() => loadSettings(source("prod", { databaseURL: URL }, ["databaseURL"])));
    assert.equal(m, "Invalid config 'databaseURL': got a value that is not shown (values of unknown keys are never shown); expected one of this program's keys (did you mean 'databaseUrl'?).");
  });

  it("an unknown key's value is not shown even when the stack did not mark it secret", () => {
    assert.ok(!refusal(() => loadSettings(source("prod", { dbUrl: URL }))).includes(PASSWORD));
  });

  it("a bad value of a key the stack keeps secret is not shown, whatever the key", () => {
    for (const [key, value] of [["hostPort", "x5432"], ["memoryLimit", "8 gigs"], ["stopGracePeriod", "48h"], ["bindAddress", PASSWORD], ["dataHostPath", `/etc/${PASSWORD}`]] as const) {
      const m = refusal(() => loadSettings(source("prod", { [key]: value }, [key])));
      assert.ok(m.startsWith(`Invalid config '${key}': got a value that is not shown (the stack keeps it secret); expected `), m);
      assert.ok(!m.includes(value), m);
    }
  });

  it("a secret postgresSettings: its values are masked in the tuning's messages too", () => {
    const settings = { shared_buffers: "7GB", application_name: PASSWORD };
    const error = (() => {
      try {
        loadStackDefinition(source("prod", { postgresSettings: settings }, ["postgresSettings"]));
      } catch (e) {
        return e as Error;
      }
      assert.fail("not refused");
    })();
    assert.match(error.message, /^memory budget .* exceeds/);
    assert.ok(!error.message.includes("7GB"), "the secret setting's value is masked where the message quotes it");
    assert.match(error.message, /shared_buffers \*\*\*/);
    const reserved = refusal(() => loadSettings(source("prod", { postgresSettings: { port: PASSWORD } }, ["postgresSettings"])));
    assert.ok(reserved.startsWith("Invalid config 'postgresSettings.port': got a value that is not shown (the stack keeps it secret)"), reserved);
  });

  it("any URL password in a value is masked, userinfo or ?password=, also when no key is secret", () => {
    assert.equal(redactSecrets("postgres://u:p@ss\"w@h/db"), "postgres://u:***@h/db");
    assert.equal(redactSecrets("postgresql://u@h/db?sslmode=disable&password=abc&x=1"), "postgresql://u@h/db?sslmode=disable&password=***&x=1");
    assert.equal(redactSecrets("postgresql://user:password@host:port/database"), "postgresql://user:password@host:port/database", "a placeholder stays");
    const m = refusal(() => loadSettings(source("prod", { backupSchedule: URL })));
    assert.ok(!m.includes(PASSWORD) && m.includes("tsdbadmin:***@db.example.com"), m);
    const clear = refusal(() => loadSettings(source("prod", { backupEnabled: "false", monitoringEnabled: "false", databaseUrl: `postgresql://u@db.example.com/db?password=${PASSWORD}` })));
    assert.equal(clear, "Invalid config 'databaseUrl': got \"postgresql://u@db.example.com/db?password=***\"; expected a secret: it holds a password, so set it with `pulumi config set --secret databaseUrl <url>` (it is in clear text in the stack file now).");
    const q = refusal(() => loadSettings(source("prod", { backupEnabled: "false", monitoringEnabled: "false", databaseUrl: `postgresql://u@db.example.com/db?password=${PASSWORD}&sslmode=disable` }, ["databaseUrl"])));
    assert.ok(!q.includes(PASSWORD), q);
  });

  it("bindAddress with a zone id (fe80::1%eth0): refused with the key, not a TypeError; the components refuse it too", () => {
    for (const key of ["bindAddress", "monitoringBindAddress"]) {
      assert.match(refusal(() => loadSettings(source("prod", { [key]: "fe80::1%eth0" }))), new RegExp(`^Invalid config '${key}': got "fe80::1%eth0"; expected an IPv4 or IPv6 address`));
    }
    assert.match(ipAddress("fe80::1%eth0") ?? "", /without a zone id/);
    assert.equal(ipAddress("fe80::1"), undefined);
  });

  // Each config range that a component or the tuning checks too: refused by config first, with the key as written.
  const ranges: Array<[string, string, RegExp]> = [
    ["stopGracePeriod", "48h", /^Invalid config 'stopGracePeriod': got "48h"; expected a duration from 0s to 24h \(86400s\)\.$/],
    ["readyTimeout", "2 days", /^Invalid config 'readyTimeout': got "2 days"; expected a duration from 1s to 24h/],
    ["logMaxSize", "2000TB", /^Invalid config 'logMaxSize': got "2000TB"; expected a size of at most 1024TiB\.$/],
    ["memoryLimit", "9000TiB", /^Invalid config 'memoryLimit': got "9000TiB"; expected a size of at most 1024TiB/],
    ["shmSize", "9000TiB", /^Invalid config 'shmSize'/],
    ["walDiskBudget", "9000TiB", /^Invalid config 'walDiskBudget': got "9000TiB"; expected a size of at most 1024TiB/],
    ["databaseSizeBudget", "9000TiB", /^Invalid config 'databaseSizeBudget'/],
  ];
  for (const [key, value, message] of ranges) {
    it(`${key}: ${value} is refused by config, not by a component argument`, () => {
      assert.match(refusal(() => loadStackDefinition(source("prod", { [key]: value }))), message);
    });
  }

  const program: Array<[string, Record<string, unknown>, readonly string[], RegExp]> = [
    ["bindAddress fe80::1%eth0", { bindAddress: "fe80::1%eth0" }, [], /^Invalid config 'bindAddress': got "fe80::1%eth0"/],
    ["stopGracePeriod 48h", { stopGracePeriod: "48h" }, [], /^Invalid config 'stopGracePeriod': got "48h"/],
    ["a secret databaseURL typo", { databaseURL: URL }, ["databaseURL"], /^Invalid config 'databaseURL': got a value that is not shown/],
    ["postgresSettings port", { postgresSettings: { port: "6432" } }, [], /^Invalid config 'postgresSettings\.port': got "6432"/],
    ["dataHostPath /etc", { dataHostPath: "/etc" }, [], /^Invalid config 'dataHostPath': got "\/etc"/],
    ["a URL's sslmode=disable to a remote host", { databaseUrl: `${URL}?sslmode=disable`, backupEnabled: "false", monitoringEnabled: "false" }, ["databaseUrl"], /^Invalid config 'databaseUrl': got "postgresql:\/\/tsdbadmin:\*\*\*@db\.example\.com/],
  ];
  for (const [what, overrides, secrets, message] of program) {
    it(`the program: ${what} fails the preview with one line, no stack trace, nothing registered`, async () => {
      await assert.rejects(runProgram("prod", overrides, true, secrets), (e: ProgramError) => {
        assert.ok(pulumi.RunError.isInstance(e), `a RunError (Pulumi prints it without a stack trace), got ${e.stack}`);
        assert.match(e.message, message);
        assert.ok(!e.message.includes("\n") && !e.message.includes(PASSWORD), e.message);
        assert.deepEqual(e.registered, []);
        return true;
      });
    });
  }

  it("the tools print the one line, without a stack trace or a secret", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "refusal-tools-"));
    try {
      fs.copyFileSync(path.join(__dirname, "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), `config:\n  crypto-scout-db:bindAddress: "fe80::1%eth0"\n  crypto-scout-db:databaseURL: "${URL}"\n`);
      const err: string[] = [];
      assert.equal(printSettings(["--stack", "bad"], dir, () => undefined, (l) => err.push(l)), 1);
      const schemaErr: string[] = [];
      assert.equal(await schemaTool(["plan", "--stack", "bad"], () => undefined, (l) => schemaErr.push(l), dir), 1);
      for (const lines of [err, schemaErr]) {
        assert.equal(lines.length, 1, lines.join("\n"));
        assert.equal(lines[0], "Invalid config 'databaseURL': got a value that is not shown (values of unknown keys are never shown); expected one of this program's keys (did you mean 'databaseUrl'?).");
      }
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
