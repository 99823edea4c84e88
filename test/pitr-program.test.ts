/**
 * The PITR sidecar, the replication role and the server's settings for them, as the program registers them under
 * Pulumi's mocks with the stacks' real config; and the PITR config keys refused at preview.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { isSecretInput, mockedRandomBytes, plain, runProgram, unwrapSecretInput, type ProgramError, type ProgramRun, type RecordedResource } from "./support/program";
import { pgpassLine, pitrScript, PITR_IMAGES, PITR_SLOT } from "../components/backup/pitr";
import { scramSha256Verifier } from "../components/database/scram";

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const VOLUME = "docker:index/volume:Volume";
const ROLE = "postgresql:index/role:Role";

describe("program under mocks: point-in-time recovery", function () {
  let run: ProgramRun;
  let sidecar: RecordedResource;
  let server: RecordedResource;
  before(async () => {
    run = await runProgram("prod");
    sidecar = run.one(CONTAINER, "pitr-container");
    server = run.one(CONTAINER, "timescaledb-container");
  });

  it("runs the sidecar on the official image of the server's major, pinned to a release", () => {
    assert.equal(run.one(IMAGE, "pitr-image").inputs.name, "postgres:17.9-alpine3.23");
    assert.equal(PITR_IMAGES[17], "postgres:17.9-alpine3.23");
    assert.equal(sidecar.inputs.name, "crypto-scout-pitr");
    assert.deepEqual(sidecar.inputs.command, ["sh", "-c", "chown postgres:postgres /pitr && chmod 0700 /pitr && exec gosu postgres sh /usr/local/bin/pitr.sh run"]);
    assert.deepEqual(sidecar.inputs.volumes, [{ volumeName: "crypto-scout-pitr", containerPath: "/pitr" }]);
    assert.equal(sidecar.inputs.init, true);
    assert.equal(sidecar.inputs.restart, "unless-stopped");
  });

  it("uploads the generated script with the defaults (2 base backups, daily) and the password only as a 0600 pgpass file", () => {
    assert.ok(isSecretInput(sidecar.inputs.uploads), "the uploads carry the password: secret");
    const uploads = unwrapSecretInput(sidecar.inputs.uploads) as Array<Record<string, unknown>>;
    const script = pitrScript({ host: "timescaledb", port: 5432, user: "crypto_scout_replication", passFile: "/run/secrets/pgpass", dir: "/pitr", slot: PITR_SLOT, keepBaseBackups: 2, baseBackupIntervalSeconds: 86400 });
    assert.deepEqual(uploads, [
      { file: "/usr/local/bin/pitr.sh", content: script, permissions: "0755" },
      { file: "/run/secrets/pgpass", content: pgpassLine("timescaledb", 5432, "crypto_scout_replication", "generated-pitr-replication-password"), permissions: "0600", owner: "70", group: "70" },
    ]);
    for (const e of (plain(sidecar.inputs.envs) ?? []) as string[]) assert.doesNotMatch(e, /generated-/);
  });

  it("creates the replication role with REPLICATION only, its password on the server only as a SCRAM-SHA-256 verifier", () => {
    const role = run.ofType(ROLE).find((r) => r.inputs.name === "crypto_scout_replication");
    assert.ok(role);
    assert.equal(role.inputs.replication, true);
    assert.equal(role.inputs.login, true);
    assert.equal(role.inputs.superuser, false);
    assert.ok(isSecretInput(role.inputs.password), "the verifier is kept secret too");
    const salt = run.one("random:index/randomBytes:RandomBytes", "pitr-replication-password-salt");
    assert.equal(salt.inputs.length, 16);
    const expected = scramSha256Verifier("generated-pitr-replication-password", mockedRandomBytes("pitr-replication-password-salt", 16));
    assert.equal(unwrapSecretInput(role.inputs.password), expected);
  });

  it("gives the server the program's pg_hba.conf and max_slot_wal_keep_size, before the stack's own settings", () => {
    const command = plain(server.inputs.command) as string[];
    assert.deepEqual(command.slice(0, 5), ["postgres", "-c", "hba_file=/etc/crypto-scout/pg_hba.conf", "-c", "max_slot_wal_keep_size=16384MB"]);
    assert.ok(command.includes("wal_level=replica"));
    const overridden = async () => plain((await runProgram("prod", { postgresSettings: { max_slot_wal_keep_size: "4GB" } })).one(CONTAINER, "timescaledb-container").inputs.command) as string[];
    return overridden().then((c) => assert.equal(c.filter((a) => a.startsWith("max_slot_wal_keep_size=")).pop(), "max_slot_wal_keep_size=4GB", "the stack's override comes last and wins"));
  });

  it("keeps the archive on destroy unless the stack opts in", async () => {
    assert.equal(run.one(VOLUME, "pitr-volume").inputs.name, "crypto-scout-pitr");
    assert.equal(run.one(VOLUME, "pitr-volume").options.retainOnDelete, true);
    assert.equal(sidecar.inputs.removeVolumes, false);
    const optIn = await runProgram("prod", { destroyDeletesData: true });
    assert.equal(optIn.one(VOLUME, "pitr-volume").options.retainOnDelete, false);
    assert.equal(run.outputs.pitrLocation, "crypto-scout-pitr");
    assert.equal(run.outputs.pitrContainerName, "crypto-scout-pitr");
  });

  it("dev gets it too, under its own names; pitrEnabled=false and a host directory work", async () => {
    const dev = await runProgram("dev");
    assert.equal(dev.one(CONTAINER, "pitr-container").inputs.name, "crypto-scout-dev-pitr");
    const off = await runProgram("prod", { pitrEnabled: "false" });
    assert.equal(off.ofType(CONTAINER).filter((c) => c.name.startsWith("pitr")).length, 0);
    assert.equal(off.ofType(ROLE).filter((r) => r.inputs.name === "crypto_scout_replication").length, 0);
    assert.ok(!(plain(off.one(CONTAINER, "timescaledb-container").inputs.command) as string[]).some((a) => a.startsWith("hba_file=")));
    const host = await runProgram("prod", { pitrHostPath: "/srv/crypto-scout/pitr", pitrKeepBaseBackups: "7", pitrBaseBackupInterval: "12h" });
    assert.deepEqual(host.one(CONTAINER, "pitr-container").inputs.volumes, [{ hostPath: "/srv/crypto-scout/pitr", containerPath: "/pitr" }]);
    const script = (unwrapSecretInput(host.one(CONTAINER, "pitr-container").inputs.uploads) as Array<{ content: string }>)[0].content;
    assert.match(script, /^KEEP=7$/m);
    assert.match(script, /^INTERVAL=43200$/m);
  });

  const badConfig: Array<[Record<string, unknown>, RegExp]> = [
    [{ pitrKeepBaseBackups: "0" }, /^Invalid config 'pitrKeepBaseBackups': got "0"; expected a whole number from 1 to 100/],
    [{ pitrBaseBackupInterval: "10min" }, /^Invalid config 'pitrBaseBackupInterval': got "10min"; expected a whole number of seconds from 1h to 90d/],
    [{ pitrSlotWalKeep: "100MiB" }, /^Invalid config 'pitrSlotWalKeep': got "100MiB"; expected a size of at least 1024MiB/],
    [{ pitrEnabled: "yes" }, /^Invalid config 'pitrEnabled': got "yes"; expected true, false or auto/],
    [{ pitrHostPath: "relative/dir" }, /^Invalid config 'pitrHostPath': got "relative\/dir"; expected an absolute directory path/],
    [{ pitrHostPath: "/srv/d", dataHostPath: "/srv/d" }, /^Invalid config 'pitrHostPath': got "\/srv\/d"; expected a directory outside dataHostPath "\/srv\/d" and not containing it \(this one is the same directory as it/],
    [{ pitrEnabled: "true", databaseUrl: "postgresql://u:p@db.example.com:5432/d", backupEnabled: "false", monitoringEnabled: "false" }, /^Invalid config 'pitrEnabled': got "true"; expected false or auto with databaseUrl/],
  ];
  for (const [overrides, message] of badConfig) {
    it(`fails before creating anything when ${JSON.stringify(overrides)}`, async () => {
      await assert.rejects(runProgram("prod", overrides, true, "databaseUrl" in overrides ? ["databaseUrl"] : []), (e: ProgramError) => {
        assert.match(e.message, message);
        assert.ok(!e.message.includes("\n"), "one line");
        assert.ok(!e.message.includes("u:p@"), "no secret in the message");
        assert.ok(pulumi.RunError.isInstance(e));
        assert.deepEqual(e.registered, [], "nothing is registered");
        return true;
      });
    });
  }
});
