/**
 * The Docker components on their own, under mocks: the documented defaults (each Args field's @default) and the
 * `transform` hook that lets callers adjust a child's args.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { TimescaleServer } from "../components/server/timescaledb-server";
import { BackupSidecar } from "../components/backup/backup-sidecar";
import { GiB } from "../components/config/units";
import { plain, recordProgram, resolve } from "./support/program";

const CONTAINER = "docker:index/container:Container";

function minimalServer(extra: Partial<ConstructorParameters<typeof TimescaleServer>[1]> = {}) {
  return new TimescaleServer("db", {
    image: "timescale/timescaledb:2.29.2-pg17",
    networkName: "net",
    containerName: "db",
    superuserPassword: pulumi.secret("pw"),
    superuserPasswordSalt: pulumi.secret("AAECAwQFBgcICQoLDA0ODw=="),
    command: ["postgres"],
    data: { kind: "volume", name: "db-data" },
    memoryBytes: 4 * GiB,
    cpus: 1.5,
    ...extra,
  });
}

describe("TimescaleServer component", () => {
  it("applies its documented defaults", async () => {
    const rec = await recordProgram(() => minimalServer());
    const c = rec.one(CONTAINER);
    const env = plain(c.inputs.envs) as string[];
    assert.ok(env.includes("POSTGRES_DB=crypto_scout") && env.includes("POSTGRES_USER=crypto_scout_db"));
    assert.deepEqual(c.inputs.ports, [{ internal: 5432, external: 5432, ip: "127.0.0.1", protocol: "tcp" }]);
    assert.equal(c.inputs.shmSize, 1024);
    assert.deepEqual(c.inputs.ulimits, [{ name: "nofile", soft: 262144, hard: 262144 }]);
    assert.deepEqual([c.inputs.stopTimeout, c.inputs.wait, c.inputs.waitTimeout], [300, true, 300]);
    assert.deepEqual(c.inputs.logOpts, { "max-size": "50m", "max-file": "5" });
    assert.equal(c.inputs.cpus, "1.5");
    assert.equal(c.inputs.memory, 4096);
    assert.equal(rec.one("docker:index/volume:Volume").options.retainOnDelete, true);
  });

  it("on podman: ignores the fields Podman reports differently, sends max-size only, does not wait for health", async () => {
    const rec = await recordProgram(() => minimalServer({ engine: "podman" }));
    const c = rec.one(CONTAINER);
    assert.deepEqual(c.options.ignoreChanges, ["ulimits", "memorySwap", "stopSignal", "logOpts"]);
    assert.deepEqual(rec.one("docker:index/network:Network").options.ignoreChanges, ["ipamOptions"]);
    assert.deepEqual(c.inputs.logOpts, { "max-size": "50m" });
    assert.equal(c.inputs.wait, false);
  });

  it("lets callers adjust a child's args through transform (function or partial object)", async () => {
    const rec = await recordProgram(() =>
      minimalServer({
        transform: {
          container: (args) => {
            args.labels = [{ label: "team", value: "data" }];
          },
          network: { driver: "overlay" },
        },
      }),
    );
    assert.deepEqual(rec.one(CONTAINER).inputs.labels, [{ label: "team", value: "data" }]);
    assert.equal(rec.one("docker:index/network:Network").inputs.driver, "overlay");
  });

  it("connects over loopback and brackets IPv6 in the URL when bound to every interface", async () => {
    const rec = await recordProgram(() => minimalServer({ bindAddress: "::", hostPort: 6543 }));
    const server = rec.result;
    const url = await resolve(server.connectionUrl);
    assert.equal(url, "postgresql://crypto_scout_db:pw@[::1]:6543/crypto_scout");
  });
});

describe("BackupSidecar component", () => {
  it("applies its documented defaults", async () => {
    const rec = await recordProgram(
      () =>
        new BackupSidecar("bk", {
          image: "prodrigestivill/postgres-backup-local:17",
          containerName: "bk",
          networkName: "net",
          password: pulumi.secret("pw"),
          location: { kind: "hostPath", path: "/srv/backups" },
        }),
    );
    const c = rec.one(CONTAINER);
    const env = plain(c.inputs.envs) as string[];
    for (const e of ["POSTGRES_HOST=timescaledb", "SCHEDULE=@daily", "BACKUP_KEEP_DAYS=7", "BACKUP_KEEP_WEEKS=4", "BACKUP_KEEP_MONTHS=6", "HEALTHCHECK_PORT=8080"]) {
      assert.ok(env.includes(e), e);
    }
    assert.deepEqual(c.inputs.volumes, [{ hostPath: "/srv/backups", containerPath: "/backups" }]);
    assert.equal(rec.ofType("docker:index/volume:Volume").length, 0, "a host directory needs no volume");
  });
});

/** Registers `create` under mocks and expects it to throw a ResourceError matching `message`, with no child created. */
async function refused(create: () => pulumi.ComponentResource, componentType: string, message: RegExp): Promise<void> {
  await assert.rejects(recordProgram(create), (e: Error & { registered: Array<{ type: string }> }) => {
    assert.ok(pulumi.ResourceError.isInstance(e), `a ResourceError, got ${e}`);
    assert.match(e.message, message);
    assert.deepEqual(e.registered.map((r) => r.type).filter((t) => t !== componentType), [], "no child registered");
    return true;
  });
}

describe("components refuse bad arguments, naming the component, the argument and what is allowed", () => {
  const SERVER = "crypto-scout:server:TimescaleServer";
  const serverCases: Array<[string, Partial<ConstructorParameters<typeof TimescaleServer>[1]>, RegExp]> = [
    ["memory in MiB instead of bytes", { memoryBytes: 8192 }, /^TimescaleServer "db": memoryBytes is 8192; expected a whole number from 268435456 .* \(bytes: at least 256 MiB, e\.g\. 8 \* 1024 \*\* 3 for 8 GiB\)$/],
    ["a CPU count Docker would change", { cpus: 20.05 }, /cpus is 20\.05; expected .* would be read back as 20\.1/],
    ["a tiny /dev/shm", { shmSizeBytes: 1024 * 1024 }, /shmSizeBytes is 1048576; expected .*at least 64 MiB/],
    ["a nofile limit below 1024", { nofileLimit: 100 }, /nofileLimit is 100; expected a whole number from 1024 to 1048576/],
    ["port 0", { hostPort: 0 }, /hostPort is 0; expected a whole number from 1 to 65535/],
    ["a host name as bind address", { bindAddress: "localhost" }, /bindAddress is "localhost"; expected an IPv4 or IPv6 address/],
    ["a container name Docker refuses", { containerName: "db one" }, /containerName is "db one"; expected a Docker name/],
    ["an empty password", { superuserPassword: "" }, /superuserPassword is ""; expected a non-empty string/],
    ["a superuser name that needs quoting", { superuser: "Admin" }, /superuser is "Admin"; expected a lower-case SQL identifier/],
    ["an unknown engine", { engine: "lxc" as never }, /engine is "lxc"; expected docker or podman/],
    ["no rotated log files", { logRotation: { maxSizeBytes: 50 * 1024 * 1024, maxFiles: 0 } }, /logRotation\.maxFiles is 0; expected a whole number from 1 to 100/],
  ];
  for (const [what, args, message] of serverCases) {
    it(`TimescaleServer: ${what}`, () => refused(() => minimalServer(args), SERVER, message));
  }

  const BACKUP = "crypto-scout:backup:BackupSidecar";
  const backup = (extra: Partial<ConstructorParameters<typeof BackupSidecar>[1]>) => () =>
    new BackupSidecar("bk", {
      image: "prodrigestivill/postgres-backup-local:17",
      containerName: "bk",
      networkName: "net",
      password: pulumi.secret("pw"),
      location: { kind: "volume", name: "bk" },
      ...extra,
    });
  const backupCases: Array<[string, Partial<ConstructorParameters<typeof BackupSidecar>[1]>, RegExp]> = [
    ["negative retention", { keep: { days: -1, weeks: 4, months: 6 } }, /^BackupSidecar "bk": keep\.days is -1; expected a whole number from 0 to 3650$/],
    ["health port 0", { healthPort: 0 }, /healthPort is 0; expected a whole number from 1 to 65535/],
    ["an empty password", { password: "" }, /password is ""; expected a non-empty string/],
    ["a container name Docker refuses", { containerName: "bk!" }, /containerName is "bk!"; expected a Docker name/],
    ["a schedule the scheduler refuses", { schedule: "99 99 * * *" }, /schedule is "99 99 \* \* \*"; expected a schedule the backup sidecar's scheduler runs .*here: minute 99 is outside 0-59$/],
  ];
  for (const [what, args, message] of backupCases) {
    it(`BackupSidecar: ${what}`, () => refused(backup(args), BACKUP, message));
  }
});
