import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_KEYS, OPTIONAL_KEYS, UNDECLARED_KEYS, loadSettings, type ConfigSource } from "../components/config/settings";
import { PROJECT, projectDeclarations, stackConfig, stackConfigSource } from "../components/config/stack-files";
import { ConfigError, GiB, MiB, formatPgSize, parseDuration, parseSize } from "../components/config/units";

/** The stack's real config with some keys replaced (undefined removes a key). */
function withOverrides(stack: string, overrides: Record<string, unknown>): ConfigSource {
  const values = stackConfig(stack);
  return {
    get: (key) => (key in overrides ? overrides[key] : values[`${PROJECT}:${key}`]),
  };
}

describe("stack settings", () => {
  it("prod: the seed's server (8 GiB, 2 CPUs, 200 connections, loopback, seed names)", () => {
    const s = loadSettings(stackConfigSource("prod"));
    assert.equal(s.memoryLimitBytes, 8 * GiB);
    assert.equal(s.cpus, 2);
    assert.equal(s.maxConnections, 200);
    assert.equal(s.shmSizeBytes, 1 * GiB);
    assert.equal(s.nofileLimit, 262144);
    assert.equal(s.bindAddress, "127.0.0.1");
    assert.equal(s.hostPort, 5432);
    assert.equal(s.networkName, "crypto-scout");
    assert.equal(s.serverImage, "timescale/timescaledb:2.29.2-pg17");
    assert.equal(s.backupImage, "prodrigestivill/postgres-backup-local:17");
    assert.deepEqual(s.data, { kind: "volume", name: "crypto-scout-data" });
    assert.deepEqual(s.backup.location, { kind: "volume", name: "crypto-scout-backups" });
    assert.equal(s.backup.schedule, "@daily");
    assert.deepEqual([s.backup.keepDays, s.backup.keepWeeks, s.backup.keepMonths], [7, 4, 6]);
    assert.equal(s.destroyDeletesData, false);
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.backup), "settings are frozen");
  });

  it("dev: a laptop (2 GiB, 1 CPU), its own Docker names, loopback", () => {
    const s = loadSettings(stackConfigSource("dev"));
    assert.equal(s.memoryLimitBytes, 2 * GiB);
    assert.equal(s.cpus, 1);
    assert.equal(s.bindAddress, "127.0.0.1");
    assert.equal(s.networkName, "crypto-scout-dev");
    assert.notEqual(s.hostPort, 5432, "dev can run beside prod on one host");
  });

  it("host directories replace the named volumes", () => {
    const s = loadSettings(withOverrides("prod", { dataHostPath: "/srv/cs/data/postgresql/", backupHostPath: "/srv/cs/backups" }));
    assert.deepEqual(s.data, { kind: "hostPath", path: "/srv/cs/data/postgresql" });
    assert.deepEqual(s.backup.location, { kind: "hostPath", path: "/srv/cs/backups" });
  });

  it("waits for health on docker, not on podman, unless waitForHealthy says otherwise", () => {
    assert.equal(loadSettings(stackConfigSource("prod")).waitForHealthy, true);
    assert.equal(loadSettings(withOverrides("prod", { containerEngine: "podman" })).waitForHealthy, false);
    assert.equal(loadSettings(withOverrides("prod", { containerEngine: "podman", waitForHealthy: "true" })).waitForHealthy, true);
    assert.equal(loadSettings(withOverrides("prod", { waitForHealthy: "false" })).waitForHealthy, false);
  });

  it("pairs PostgreSQL majors with the TimescaleDB releases built for them", () => {
    assert.equal(loadSettings(withOverrides("prod", { postgresMajor: "15", timescaledbVersion: "2.28.3" })).serverImage, "timescale/timescaledb:2.28.3-pg15");
    assert.equal(loadSettings(withOverrides("prod", { postgresMajor: "16" })).serverImage, "timescale/timescaledb:2.29.2-pg16");
    assert.throws(() => loadSettings(withOverrides("prod", { timescaledbVersion: "2.16.1" })), /TimescaleDB 2\.16\.1 is built for \(PostgreSQL 17 from TimescaleDB 2\.17\.0/);
  });

  it("takes every schedule the sidecar's scheduler runs, e.g. @every 1h30m and 6 fields", () => {
    for (const schedule of ["@every 1h30m", "@daily", "0 3 * * *", "0 30 2 * * MON-FRI", "*/15 * * * *"]) {
      assert.equal(loadSettings(withOverrides("prod", { backupSchedule: schedule })).backup.schedule, schedule);
    }
  });

  it("accepts numbers and booleans as the strings `pulumi config set` stores", () => {
    const s = loadSettings(withOverrides("prod", { hostPort: "6543", cpus: "1.5", destroyDeletesData: "true" }));
    assert.deepEqual([s.hostPort, s.cpus, s.destroyDeletesData], [6543, 1.5, true]);
  });

  // Each kind of bad value: one line naming the key, the value given and what is allowed.
  const bad: Array<[string, unknown, RegExp]> = [
    ["hostPort", "x5432", /hostPort.*"x5432".*whole number from 1 to 65535/],
    ["hostPort", 70000, /hostPort.*70000.*from 1 to 65535/],
    ["memoryLimit", "8 gigs", /memoryLimit.*"8 gigs".*a size such as/],
    ["memoryLimit", "100MiB", /memoryLimit.*"100MiB".*at least 256MiB/],
    ["memoryLimit", "2000.5MB", /memoryLimit.*"2000.5MB".*whole number of MiB/],
    ["shmSize", "300000kB", /shmSize.*"300000kB".*whole number of MiB/],
    ["stopGracePeriod", "5 fortnights", /stopGracePeriod.*"5 fortnights".*a duration such as/],
    ["postgresMajor", 13, /postgresMajor.*13.*one of 15, 16, 17/],
    ["postgresMajor", "15", /^Invalid config 'postgresMajor': got "15"; expected a PostgreSQL major that TimescaleDB 2\.29\.2 is built for \(PostgreSQL 15 up to TimescaleDB 2\.28\.x; the image timescale\/timescaledb:2\.29\.2-pg15 does not exist\)\.$/],
    ["bindAddress", "localhost", /bindAddress.*"localhost".*IPv4 or IPv6 address/],
    ["timescaledbVersion", "latest", /timescaledbVersion.*"latest".*never 'latest'/],
    ["waitForHealthy", "yes", /waitForHealthy.*"yes".*true, false or auto/],
    ["containerEngine", "podman-remote", /containerEngine.*"podman-remote".*docker or podman/],
    ["backupSchedule", "every day", /backupSchedule.*"every day".*scheduler runs.*here: /],
    ["backupSchedule", "99 99 * * *", /^Invalid config 'backupSchedule': got "99 99 \* \* \*"; expected a schedule the backup sidecar's scheduler runs .*such as "@daily".*; here: minute 99 is outside 0-59\.$/],
    ["backupSchedule", "0 0 31 2 *", /backupSchedule.*"0 0 31 2 \*".*here: .*never/],
    ["backupSchedule", "@every 500ms", /backupSchedule.*"@every 500ms".*here: .*second/],
    ["dataHostPath", "./data/postgresql", /dataHostPath.*"\.\/data\/postgresql".*absolute directory path/],
    ["namePrefix", "crypto scout", /namePrefix.*"crypto scout".*Docker name/],
    ["postgresSettings", "work_mem=1MB", /postgresSettings.*"work_mem=1MB".*map of PostgreSQL setting names/],
    ["cpus", "0", /cpus.*"0".*number from 0.5/],
    ["cpus", "20.05", /cpus.*"20.05".*Docker keeps as given.*read back as 20\.1/],
  ];
  for (const [key, value, message] of bad) {
    it(`rejects ${key}=${JSON.stringify(value)} with one line naming the key`, () => {
      assert.throws(
        () => loadSettings(withOverrides("prod", { [key]: value })),
        (e: Error) => e instanceof ConfigError && message.test(e.message) && !e.message.includes("\n"),
      );
    });
  }

  it("the tools refuse a key the program does not read, as preview does, naming the key it probably meant", () => {
    const source = stackConfigSource("dev");
    const withTypo = { ...source, keys: () => [...(source.keys?.() ?? []), "hostport"], get: (k: string) => (k === "hostport" ? "6543" : source.get(k)) };
    assert.throws(() => loadSettings(withTypo), (e: Error) => {
      // Never the value: an unknown key may be a mistyped secret one.
      assert.equal(e.message, "Invalid config 'hostport': got a value that is not shown (values of unknown keys are never shown); expected one of this program's keys (did you mean 'hostPort'?).");
      return true;
    });
    assert.deepEqual([...(source.keys?.() ?? [])].filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k)), [], "the stack files use only known keys");
  });

  it("a key without a value says its default is missing from Pulumi.yaml", () => {
    assert.throws(() => loadSettings(withOverrides("prod", { maxConnections: undefined })), /maxConnections.*declared in Pulumi\.yaml/);
  });

  it("every key the program reads is declared in Pulumi.yaml (objects and the secret databaseUrl excepted) and in the configuration reference", () => {
    const declared = projectDeclarations();
    const reference = fs.readFileSync(path.resolve(__dirname, "..", "docs", "reference", "configuration.md"), "utf8");
    for (const key of CONFIG_KEYS) {
      if (!UNDECLARED_KEYS.includes(key)) {
        assert.ok(declared[key], `${key} is declared in Pulumi.yaml`);
        assert.ok(declared[key].description, `${key} has a description`);
        // The CLI refuses a stack that leaves a declared key without a default unset; optional keys default to "".
        assert.notEqual(declared[key].default, undefined, `${key} has a default`);
        assert.equal(declared[key].default === "", OPTIONAL_KEYS.includes(key), `${key}: default "" iff optional`);
      }
      assert.ok(reference.includes(`| \`${key}\` |`), `${key} is in docs/reference/configuration.md`);
    }
    assert.deepEqual(Object.keys(declared).filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k)), [], "no declared key goes unread");
  });
});

describe("units", () => {
  it("parses sizes with binary multiples, as PostgreSQL and Docker do", () => {
    assert.equal(parseSize("k", "8GiB"), 8 * GiB);
    assert.equal(parseSize("k", "8GB"), 8 * GiB);
    assert.equal(parseSize("k", "1536MB"), 1536 * MiB);
    assert.equal(parseSize("k", "1g"), GiB);
    assert.throws(() => parseSize("k", 8), /Invalid config 'k': got 8/);
  });
  it("parses durations", () => {
    assert.equal(parseDuration("k", "15min"), 900_000);
    assert.equal(parseDuration("k", "7 days"), 7 * 86_400_000);
    assert.throws(() => parseDuration("k", "-1s"), /expected a duration/);
  });
  it("formats sizes as PostgreSQL writes them", () => {
    assert.deepEqual([formatPgSize(2 * GiB), formatPgSize(1536 * MiB), formatPgSize(64 * 1024)], ["2GB", "1536MB", "64kB"]);
  });
});
