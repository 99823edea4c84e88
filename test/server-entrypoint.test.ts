/**
 * The server container's entrypoint script (components/server/crypto-scout-entrypoint.sh), drilled on a real server:
 * Debian's PostgreSQL 15, run through the very file the container gets, under busybox sh (the image's /bin/sh is
 * busybox ash) when this machine has busybox.
 *
 * The drill is `pulumi destroy` + `pulumi up` on retained data: a cluster initialised with password A (the first
 * stack's), a crash left behind (the postmaster killed, postmaster.pid stale), then the script started with the
 * verifier of password B (the rebuilt stack's) and the server's own command. Readiness (live.ts waitForServer) must
 * pass with B, A must be refused, the rows written under A must be there, and the server log must hold neither
 * password nor the verifier, although postgresql.conf logs every statement.
 *
 * Only the image's own pieces are stood in for: `gosu` by util-linux setpriv (the same exec-as-user, no fork), and
 * docker-entrypoint.sh, the script's next step, by a wrapper that steps down and execs the server (what the image's
 * entrypoint does on an existing cluster: docker_setup_env, then `exec gosu postgres ... "$@"`).
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { waitForServer, withClient, type Connection } from "../components/database/providers/live";
import { PITR_HBA_FILE } from "../components/backup/pitr";
import { scramSha256Verifier } from "../components/database/scram";
import { ENTRYPOINT_FILE, ENTRYPOINT_SCRIPT_PATH, VERIFIER_FILE } from "../components/server/timescaledb-server";
import { PASSWORD_FILE } from "../components/docker-common";
import { freePort, PG15_BIN, pg15Missing, scratchDir } from "./support/pg15";
import { generatedBytes, isSecretInput, plain, runProgram, unwrapSecretInput, type ProgramRun, type RecordedResource } from "./support/program";

const USER = "crypto_scout_db";
const PASSWORD_A = "FirstStackPassword0123456789abcd";
const PASSWORD_B = "RebuiltStackPassword9876543210zy";
const BUSYBOX = ["/usr/bin/busybox", "/bin/busybox"].find((p) => fs.existsSync(p));
/** The shell the script runs under: busybox ash as in the image, else this machine's POSIX sh. */
const SHELL: [string, ...string[]] = BUSYBOX ? [BUSYBOX, "sh"] : ["/bin/sh"];
const asRoot = process.getuid?.() === 0;

/** A scratch directory with a data directory owned by postgres (when root), and the files the container would have. */
class Scratch {
  readonly dir = fs.mkdtempSync(path.join(scratchDir(), "entrypoint-drill-"));
  readonly pgdata = path.join(this.dir, "data");
  readonly bin = path.join(this.dir, "bin");
  readonly log = path.join(this.dir, "container.log");
  readonly uid = asRoot ? Number(execFileSync("id", ["-u", "postgres"]).toString()) : process.getuid?.();
  readonly gid = asRoot ? Number(execFileSync("id", ["-g", "postgres"]).toString()) : process.getgid?.();

  constructor() {
    fs.chmodSync(this.dir, 0o755);
    this.own(this.dir);
    fs.mkdirSync(this.bin);
    // gosu's interface (`gosu USER COMMAND...`), exec'ing like gosu does, for the script's step-down from root.
    this.script("gosu", 'u="$1"; shift; exec setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"');
    // What docker-entrypoint.sh does on an existing cluster: step down from root, then exec the server command.
    this.script("docker-entrypoint-standin", asRoot ? 'exec gosu postgres "$@"' : 'exec "$@"');
  }

  own(file: string): void {
    if (asRoot) fs.chownSync(file, this.uid as number, this.gid as number);
  }

  script(name: string, body: string): string {
    const file = path.join(this.bin, name);
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return file;
  }

  /** As the postgres user when root (postgres refuses to run as root). */
  pg(bin: string, args: string[]): string {
    return execFileSync(path.join(PG15_BIN, bin), args, { stdio: ["ignore", "pipe", "pipe"], ...(asRoot ? { uid: this.uid, gid: this.gid } : {}) }).toString();
  }

  initdb(password: string, port: number): void {
    const pw = path.join(this.dir, "initdb-pw");
    fs.writeFileSync(pw, `${password}\n`, { mode: 0o600 });
    this.own(pw);
    this.pg("initdb", ["-D", this.pgdata, "-U", USER, "--pwfile", pw, "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale", "C"]);
    fs.rmSync(pw);
    // Every statement logged, and failing ones with their text: a password or verifier in any statement would show.
    const conf = [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${this.dir}'`, "fsync = off",
      "log_statement = 'all'", "log_min_error_statement = error"];
    fs.appendFileSync(path.join(this.pgdata, "postgresql.conf"), `\n${conf.join("\n")}\n`);
  }

  /** The verifier file as the container gets it: 0400, the postgres user's. */
  writeVerifier(content: string): string {
    const file = path.join(this.dir, "postgres-password-verifier");
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, content, { mode: 0o400 });
    this.own(file);
    return file;
  }

  /** The script's environment: the container's variables (timescaledb-server.ts envs) and the stand-ins on PATH. */
  env(verifierFile: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: `${this.bin}:${PG15_BIN}:${process.env.PATH}`,
      PGDATA: this.pgdata,
      POSTGRES_USER: USER,
      POSTGRES_DB: "crypto_scout",
      CRYPTO_SCOUT_SUPERUSER_VERIFIER_FILE: verifierFile,
      CRYPTO_SCOUT_NEXT_ENTRYPOINT: "docker-entrypoint-standin",
      TZ: "UTC",
      ...extra,
    };
  }

  /** Runs the script to completion (for the cases where it must not start a server). */
  runScript(env: NodeJS.ProcessEnv, args: string[]): { status: number | null; output: string } {
    try {
      const out = execFileSync(SHELL[0], [...SHELL.slice(1), ENTRYPOINT_SCRIPT_PATH, ...args], { env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
      return { status: 0, output: out };
    } catch (e) {
      const err = e as { status: number | null; stdout: string; stderr: string };
      return { status: err.status, output: `${err.stdout}${err.stderr}` };
    }
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The pids of `pid`'s children (Linux /proc), to wait for a killed postmaster's backends to be gone. */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, ok: () => boolean, seconds = 15): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("server entrypoint: the superuser password follows the stack onto retained data (PostgreSQL 15)", function () {
  this.timeout(60_000);
  let s: Scratch;
  let port: number;
  let server: ChildProcess | undefined;
  const connection = (password: string): Connection => ({ host: "127.0.0.1", port, database: "postgres", user: USER, password });

  before(function () {
    const missing = pg15Missing() ?? (fs.existsSync("/usr/bin/setpriv") || !asRoot ? undefined : "no setpriv to stand in for gosu");
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
  });

  beforeEach(async () => {
    s = new Scratch();
    port = await freePort();
  });

  afterEach(async () => {
    if (server?.pid && server.exitCode === null) {
      server.kill("SIGINT");
      await until("the server to stop", () => server?.exitCode !== null || server?.signalCode !== null, 30);
    }
    server = undefined;
    s.remove();
  });

  it("on a crashed cluster made with password A, sets B before the server listens: B logs in, A is refused, no secret in the log", async () => {
    // The first stack: password A, a table with a row, then a crash (postmaster killed: postmaster.pid stays).
    s.initdb(PASSWORD_A, port);
    s.pg("pg_ctl", ["-D", s.pgdata, "-l", path.join(s.dir, "first.log"), "-w", "-t", "15", "start"]);
    await waitForServer(connection(PASSWORD_A), 15);
    await withClient(connection(PASSWORD_A), (c) => c.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('written under A')"));
    const postmaster = Number(fs.readFileSync(path.join(s.pgdata, "postmaster.pid"), "utf8").split("\n")[0]);
    const backends = childrenOf(postmaster);
    process.kill(postmaster, "SIGKILL");
    await until("the killed server's processes to be gone", () => !alive(postmaster) && backends.every((p) => !alive(p)));
    assert.ok(fs.existsSync(path.join(s.pgdata, "postmaster.pid")), "the crash left postmaster.pid behind");
    if (asRoot) {
      // A file owned by another uid, as in a directory adopted from another engine: the script must re-own it first.
      fs.chownSync(path.join(s.pgdata, "postgresql.conf"), 0, 0);
    }

    // The rebuilt stack: a new password B, its verifier with a new salt, the script started as the container starts it.
    const verifier = scramSha256Verifier(PASSWORD_B, randomBytes(16).toString("base64"));
    const env = s.env(s.writeVerifier(verifier));
    const logFd = fs.openSync(s.log, "w");
    server = spawn(SHELL[0], [...SHELL.slice(1), ENTRYPOINT_SCRIPT_PATH, "postgres"], { env, stdio: ["ignore", logFd, logFd] });
    fs.closeSync(logFd);

    const ready = await waitForServer(connection(PASSWORD_B), 30);
    assert.match(ready.serverVersion, /^15\./);
    await assert.rejects(waitForServer(connection(PASSWORD_A), 5), /rejected user crypto_scout_db: password authentication failed/);
    const rows = await withClient(connection(PASSWORD_B), async (c) => (await c.query("SELECT v FROM kept")).rows.map((r) => r.v));
    assert.deepEqual(rows, ["written under A"], "the data survived the crash and the re-sync");
    const stored = await withClient(connection(PASSWORD_B), async (c) => (await c.query("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [USER])).rows[0].rolpassword);
    assert.equal(stored, verifier, "the server keeps the verifier as it was given");

    server.kill("SIGINT");
    await until("the server to stop on SIGINT (the container's stop signal)", () => server?.exitCode !== null || server?.signalCode !== null, 30);
    const log = fs.readFileSync(s.log, "utf8");
    for (const secret of [PASSWORD_A, PASSWORD_B, verifier]) assert.ok(!log.includes(secret), `the container log holds ${secret === verifier ? "the verifier" : "a password"}:\n${log}`);
    // Crash recovery ran in the single-user backend, before the password was set and before the server started.
    const recovered = log.indexOf("database system was not properly shut down; automatic recovery in progress");
    const set = log.indexOf("crypto-scout-entrypoint: superuser crypto_scout_db password set");
    const listening = log.indexOf("database system is ready to accept connections");
    assert.ok(recovered >= 0 && set > recovered && listening > set, `recovery, then the password, then the server:\n${log}`);
    assert.match(log, /statement: SELECT current_setting\('server_version'\)/, "the server did log statements (log_statement = all)");
  });

  it("on an empty data directory hands over to the image's entrypoint untouched (initdb is the image's)", () => {
    fs.mkdirSync(s.pgdata, { mode: 0o700 });
    s.own(s.pgdata);
    const env = s.env(s.writeVerifier(scramSha256Verifier(PASSWORD_B, randomBytes(16).toString("base64"))), { CRYPTO_SCOUT_NEXT_ENTRYPOINT: s.script("show-args", 'printf "next: %s\\n" "$*"') });
    const run = s.runScript(env, ["postgres", "-c", "max_connections=200"]);
    assert.equal(run.status, 0, run.output);
    assert.equal(run.output, "next: postgres -c max_connections=200\n", "no single-user run, the same arguments");
    assert.deepEqual(fs.readdirSync(s.pgdata), [], "nothing written to PGDATA");
  });

  it("refuses to start the server when the superuser role does not exist, or the file holds no verifier, without showing it", () => {
    s.initdb(PASSWORD_A, port);
    const next = s.script("must-not-run", 'echo "next ran"');
    const verifier = scramSha256Verifier(PASSWORD_B, randomBytes(16).toString("base64"));

    const noRole = s.runScript(s.env(s.writeVerifier(verifier), { POSTGRES_USER: "not_the_superuser", CRYPTO_SCOUT_NEXT_ENTRYPOINT: next }), ["postgres"]);
    assert.notEqual(noRole.status, 0);
    assert.match(noRole.output, /FATAL: {2}role "not_the_superuser" does not exist/);
    assert.match(noRole.output, /could not set the password of superuser not_the_superuser in .*; the server is not started/);
    assert.ok(!noRole.output.includes("next ran") && !noRole.output.includes(verifier), noRole.output);

    const plain = s.runScript(s.env(s.writeVerifier(PASSWORD_B), { CRYPTO_SCOUT_NEXT_ENTRYPOINT: next }), ["postgres"]);
    assert.notEqual(plain.status, 0);
    assert.match(plain.output, /does not hold a SCRAM-SHA-256 verifier/);
    assert.ok(!plain.output.includes(PASSWORD_B) && !plain.output.includes("next ran"), plain.output);

    // Other commands (a shell in the container, postgres --version) go straight to the image's entrypoint.
    const other = s.runScript(s.env(s.writeVerifier("nonsense"), { CRYPTO_SCOUT_NEXT_ENTRYPOINT: s.script("show-args", 'printf "next: %s\\n" "$*"') }), ["psql", "--version"]);
    assert.equal(other.output, "next: psql --version\n");
  });
});

describe("server entrypoint under mocks: the container runs what the drill ran", function () {
  let run: ProgramRun;
  let server: RecordedResource;
  before(async () => {
    run = await runProgram("prod");
    server = run.one("docker:index/container:Container", "timescaledb-container");
  });

  it("starts the uploaded script, which hands the unchanged command to the image's entrypoint", () => {
    assert.deepEqual(plain(server.inputs.entrypoints), [ENTRYPOINT_FILE]);
    assert.equal(ENTRYPOINT_FILE, "/usr/local/bin/crypto-scout-entrypoint.sh");
    assert.equal((plain(server.inputs.command) as string[])[0], "postgres", "the script acts on the server command only");
    const script = fs.readFileSync(ENTRYPOINT_SCRIPT_PATH, "utf8");
    assert.match(script, /^#!\/bin\/sh\n/);
    assert.match(script, /\nexec "\$next" "\$@"\n$/, "ends by exec'ing the image's entrypoint with the same arguments");
    assert.match(script, /next="\$\{CRYPTO_SCOUT_NEXT_ENTRYPOINT:-docker-entrypoint.sh\}"/, "the image's entrypoint unless a test says otherwise");
  });

  it("uploads the script (root's, 0555), the verifier of the generated password (postgres's, 0400), all as one secret", () => {
    assert.ok(isSecretInput(server.inputs.uploads), "the uploads carry the password and its verifier: one secret property");
    const uploads = unwrapSecretInput(server.inputs.uploads) as Array<Record<string, unknown>>;
    const byFile = Object.fromEntries(uploads.map((u) => [u.file, u]));
    assert.deepEqual(byFile[ENTRYPOINT_FILE], { file: ENTRYPOINT_FILE, content: fs.readFileSync(ENTRYPOINT_SCRIPT_PATH, "utf8"), permissions: "0555", owner: "0", group: "0" });
    // The salt is the stack's RandomBytes (16 bytes, kept in state), so the verifier is the same on every up.
    const salt = run.one("random:index/randomBytes:RandomBytes", "superuser-password-salt");
    assert.equal(salt.inputs.length, 16);
    const expected = scramSha256Verifier("generated-superuser-password", generatedBytes(salt.name, 16).toString("base64"));
    assert.deepEqual(byFile[VERIFIER_FILE], { file: VERIFIER_FILE, content: expected, permissions: "0400", owner: "70", group: "70" });
    // With point-in-time recovery (on by default) the server also gets the program's pg_hba.conf (pitr-program.test.ts).
    assert.deepEqual(Object.keys(byFile).sort(), [PASSWORD_FILE, VERIFIER_FILE, ENTRYPOINT_FILE, PITR_HBA_FILE].sort());
  });

  it("names the verifier file in the environment, and no password or verifier is in it (docker inspect shows it)", () => {
    const envs = plain(server.inputs.envs) as string[];
    assert.ok(envs.includes(`CRYPTO_SCOUT_SUPERUSER_VERIFIER_FILE=${VERIFIER_FILE}`));
    for (const e of envs) {
      assert.doesNotMatch(e, /generated-|SCRAM-SHA-256\$/, `env ${e.split("=")[0]} holds a secret`);
      assert.ok(!e.startsWith("POSTGRES_PASSWORD="), "no password variable");
    }
  });
});
