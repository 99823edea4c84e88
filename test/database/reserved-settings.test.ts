/**
 * What some refused postgresSettings entries do to a real server (Debian's PostgreSQL 15), so the reasons in
 * components/config/reserved-settings.ts and docs/configuration-postgres-settings.md are what PostgreSQL does, not
 * what we think it does. Each postmaster start below gets the flag on the command line, as the container does.
 */
import { strict as assert } from "node:assert";
import { spawnSync, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { loadSettings } from "../../components/config/settings";
import { PROJECT, stackConfig } from "../../components/config/stack-files";
import { PG15_BIN, freePort, pg15Missing, pg15Template, serverUser, startPg15, type Pg15 } from "../support/pg15";

const USER = "reserved_tester";
const PASSWORD = "reserved-pw";

/** The prod stack's settings with one postgresSettings entry: the preview's verdict on it. */
function previewRefuses(name: string, value: string): boolean {
  const values = stackConfig("prod");
  try {
    loadSettings({ get: (k) => (k === "postgresSettings" ? { [name]: value } : values[`${PROJECT}:${k}`]) });
    return false;
  } catch (e) {
    return (e as Error).message.startsWith(`Invalid config 'postgresSettings.${name}'`);
  }
}

describe("refused postgresSettings on a real PostgreSQL 15", function () {
  this.timeout(60_000);
  let server: Pg15 | undefined;
  let pgdata: string;
  /** postgres started in the foreground on a stopped cluster with `flags`: its exit status and stderr. */
  let startWith: (flags: string[]) => Promise<{ status: number | null; stderr: string }>;

  before(async function () {
    const missing = pg15Missing();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    server = await startPg15({ user: USER, password: PASSWORD });
    // A second, stopped cluster for the starts that must fail (the running one holds its data directory's lock): a
    // copy of what initdb made for the running one.
    pgdata = path.join(server.dir, "stopped");
    execFileSync("cp", ["-a", pg15Template(USER, PASSWORD), pgdata]);
    const asPostgres = serverUser();
    startWith = async (flags) => {
      const port = await freePort();
      // -C prints a setting and exits without starting; a real start is needed for the failures that happen at start.
      const r = spawnSync(path.join(PG15_BIN, "postgres"), ["-D", pgdata, "-c", `port=${port}`, "-c", `unix_socket_directories=${server?.dir}`, ...flags.flatMap((f) => ["-c", f])], {
        ...asPostgres,
        encoding: "utf8",
        timeout: 15_000,
      });
      return { status: r.status, stderr: r.stderr };
    };
  });
  after(() => server?.stop());

  it("ssl=on without a certificate: PostgreSQL exits at start (the container would restart in a loop)", async () => {
    assert.ok(!fs.existsSync(path.join(pgdata, "server.crt")));
    const { status, stderr } = await startWith(["ssl=on"]);
    assert.notEqual(status, 0);
    assert.match(stderr, /FATAL: +could not load server certificate file "server\.crt": No such file or directory/);
    assert.ok(previewRefuses("ssl", "on"));
  });

  it("superuser_reserved_connections not below max_connections: PostgreSQL refuses to start", async () => {
    const { status, stderr } = await startWith(["max_connections=10", "superuser_reserved_connections=10"]);
    assert.notEqual(status, 0);
    assert.match(stderr, /superuser_reserved_connections \(10\) must be less than max_connections \(10\)/);
    assert.ok(previewRefuses("superuser_reserved_connections", "200"), "prod's maxConnections is 200");
    assert.ok(!previewRefuses("superuser_reserved_connections", "199"));
  });

  it("password_encryption=md5: the password is stored as md5, and the SCRAM-only pg_hba.conf then refuses every login", async () => {
    const admin = new Client({ host: "127.0.0.1", port: server?.port, user: USER, password: PASSWORD, database: "postgres" });
    await admin.connect();
    try {
      await admin.query("SET password_encryption = 'md5'");
      await admin.query("CREATE ROLE md5_login LOGIN PASSWORD 'md5-pw'");
      const stored = (await admin.query("SELECT rolpassword FROM pg_authid WHERE rolname = 'md5_login'")).rows[0].rolpassword as string;
      assert.match(stored, /^md5[0-9a-f]{32}$/);
      const login = new Client({ host: "127.0.0.1", port: server?.port, user: "md5_login", password: "md5-pw", database: "postgres" });
      await assert.rejects(login.connect(), /password authentication failed for user "md5_login"/);
      await login.end().catch(() => undefined);
    } finally {
      await admin.query("DROP ROLE IF EXISTS md5_login").catch(() => undefined);
      await admin.end();
    }
    assert.ok(previewRefuses("password_encryption", "md5"));
  });

  it("log_statement=all writes each INSERT with its values to the server log; ddl does not", async () => {
    const log = path.join(server?.dir ?? "", "server.log");
    const admin = new Client({ host: "127.0.0.1", port: server?.port, user: USER, password: PASSWORD, database: "postgres" });
    await admin.connect();
    try {
      await admin.query("CREATE TEMP TABLE ticks (price numeric)");
      for (const [mode, marker] of [["ddl", "4242.0001"], ["all", "4242.0002"]] as const) {
        await admin.query(`SET log_statement = '${mode}'`);
        await admin.query(`INSERT INTO ticks VALUES (${marker})`);
      }
    } finally {
      await admin.end();
    }
    const text = fs.readFileSync(log, "utf8");
    assert.ok(!text.includes("4242.0001"), "ddl: the INSERT is not logged");
    assert.match(text, /LOG: +statement: INSERT INTO ticks VALUES \(4242\.0002\)/);
    assert.ok(previewRefuses("log_statement", "all") && !previewRefuses("log_statement", "ddl"));
  });
});
