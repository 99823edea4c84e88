/**
 * An inline `sslRootCert` PEM is written to a file for the postgresql provider (lib/pq reads a path). The temporary
 * directory is shared, so the file goes into a directory of this user's own, checked before use, and the path is the
 * same on every run (the provider keeps it in its inputs). Real files, real symlinks.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inlineRootCertDir, inlineRootCertFile, providerTls } from "../components/config/external";
import { loadSettings } from "../components/config/settings";
import { PROJECT, stackConfig } from "../components/config/stack-files";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBinline\n-----END CERTIFICATE-----\n";

describe("inline sslRootCert PEM: a private file at a stable path", () => {
  let tmp: string;
  let dir: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "inline-ca-"));
    dir = path.join(tmp, "private");
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("creates the directory 0700 and the file 0600, and gives the same path for the same PEM on every run", () => {
    const file = inlineRootCertFile(PEM, dir);
    assert.equal(path.dirname(file), dir);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(file, "utf8"), PEM);
    const inode = fs.statSync(file).ino;
    assert.equal(inlineRootCertFile(PEM, dir), file, "same PEM, same path");
    assert.equal(fs.statSync(file).ino, inode, "an unchanged file is left as it is");
    assert.notEqual(inlineRootCertFile(PEM.replace("inline", "other"), dir), file, "another PEM, another file");
    assert.deepEqual(fs.readdirSync(dir).filter((f) => !f.endsWith(".crt")), [], "no temporary file is left behind");
  });

  it("the default directory is per user under the temporary directory, and providerTls hands the provider that path", () => {
    assert.equal(inlineRootCertDir("/tmp"), `/tmp/crypto-scout-db-${process.getuid?.()}`);
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const { sslrootcert } = providerTls({ mode: "verify-full", rootCert: PEM, rootCertFile: "inline" });
      assert.equal(path.dirname(sslrootcert ?? ""), inlineRootCertDir(tmp));
      assert.equal(fs.readFileSync(sslrootcert ?? "", "utf8"), PEM);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
  });

  it("refuses a directory that is a symlink, and writes nothing where it points", () => {
    const elsewhere = path.join(tmp, "elsewhere");
    fs.mkdirSync(elsewhere, { mode: 0o700 });
    fs.symlinkSync(elsewhere, dir);
    assert.throws(() => inlineRootCertFile(PEM, dir), new RegExp(`^Error: sslRootCert: cannot write the inline PEM to a private file: ${dir} is a symbolic link; remove it, or set sslRootCert to a file path$`));
    assert.deepEqual(fs.readdirSync(elsewhere), []);
  });

  it("refuses an existing directory open to others, or another user's, or a file in its place", () => {
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chmodSync(dir, 0o755);
    assert.throws(() => inlineRootCertFile(PEM, dir), /is open to other users \(mode 755\)/);
    fs.chmodSync(dir, 0o700);
    if (process.getuid?.() === 0) {
      // Only root can hand a directory to another user; elsewhere this case cannot be set up.
      fs.chownSync(dir, 4242, 4242);
      assert.throws(() => inlineRootCertFile(PEM, dir), /belongs to uid 4242, not to this user \(uid 0\)/);
    }
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, "not a directory");
    assert.throws(() => inlineRootCertFile(PEM, dir), /is not a directory/);
  });

  it("replaces a symlink or a stale file at the file's name instead of writing through it", () => {
    const first = inlineRootCertFile(PEM, dir);
    const victim = path.join(tmp, "victim");
    fs.writeFileSync(victim, "keep me");
    fs.rmSync(first);
    fs.symlinkSync(victim, first);
    assert.equal(inlineRootCertFile(PEM, dir), first);
    assert.equal(fs.readFileSync(victim, "utf8"), "keep me", "the symlink's target is untouched");
    assert.ok(fs.lstatSync(first).isFile() && !fs.lstatSync(first).isSymbolicLink());
    fs.writeFileSync(first, "stale");
    assert.equal(fs.readFileSync(inlineRootCertFile(PEM, dir), "utf8"), PEM);
  });

  it("preview refuses an inline PEM it cannot write safely, naming sslRootCert and not printing the PEM", () => {
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    const elsewhere = path.join(tmp, "elsewhere");
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, inlineRootCertDir(tmp));
    try {
      const values = stackConfig("prod");
      const overrides: Record<string, unknown> = {
        backupEnabled: "false",
        monitoringEnabled: "false",
        databaseUrl: "postgresql://u:pw@db.example.com:5432/tsdb",
        sslRootCert: PEM,
      };
      assert.throws(
        () => loadSettings({ get: (k) => (k in overrides ? overrides[k] : values[`${PROJECT}:${k}`]), isSecret: (k) => k === "databaseUrl" }),
        (e: Error) => {
          assert.match(e.message, /^Invalid config 'sslRootCert': got a value that is not shown \(the PEM text\); expected a CA certificate file path instead: cannot write the inline PEM to a private file: .* is a symbolic link/);
          assert.ok(!e.message.includes("MIIB"));
          return true;
        },
      );
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
  });
});
