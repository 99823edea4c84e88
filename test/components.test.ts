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
