/**
 * Per-stack Docker names and host ports: derived from the stack name when a stack does not set them (prod and dev keep
 * exactly the ones they had), and a stack that would take another stack's names, ports or host directories is refused
 * at preview, before any resource is registered. Under Pulumi's mocks for the program, and over temporary project
 * directories for the stack-file reading.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fnv1a32, stackNamePrefix, stackPorts } from "../components/config/stack-names";
import { otherStacks, stackNeighbours } from "../components/config/stack-clash";
import { loadStackDefinition } from "../components/config/stack";
import { PROJECT, stackConfig, stackConfigSource } from "../components/config/stack-files";
import { loadIndex, recordProgram, runProgram, type ProgramError, type Recording } from "./support/program";

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";

/** index.ts as stack `stack` (which has no stack file here) with prod's file's values plus `overrides`. */
async function runAsStack(stack: string, overrides: Record<string, unknown> = {}): Promise<Recording<unknown>> {
  const config: Record<string, unknown> = { ...stackConfig("prod") };
  for (const [key, value] of Object.entries(overrides)) config[`${PROJECT}:${key}`] = value;
  return recordProgram(loadIndex, { stack, config });
}

/** The Docker names and published ports a run registered. */
function dockerObjects(run: Recording<unknown>) {
  const containers = run.ofType(CONTAINER);
  return {
    network: run.ofType(NETWORK).map((n) => n.inputs.name),
    containers: containers.map((c) => c.inputs.name).sort(),
    volumes: run.ofType(VOLUME).map((v) => v.inputs.name).sort(),
    ports: containers.flatMap((c) => ((c.inputs.ports ?? []) as Array<{ external: number; ip: string }>).map((p) => `${p.ip}:${p.external}`)).sort(),
  };
}

function tempProject(stacks: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-names-"));
  fs.copyFileSync(path.resolve(__dirname, "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  for (const [stack, yaml] of Object.entries(stacks)) fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), yaml);
  return dir;
}

/** What preview decides for `stack` in `dir`: the tools' path (print-settings, schema) with the neighbours. */
const define = (stack: string, dir: string) => loadStackDefinition(stackConfigSource(stack, dir), stackNeighbours(stack, dir));

describe("stack names: derived defaults", () => {
  it("prod keeps crypto-scout and the default ports; other stacks get crypto-scout-<stack> and a block of ports from the name", () => {
    assert.equal(stackNamePrefix("prod"), "crypto-scout");
    assert.equal(stackNamePrefix("staging"), "crypto-scout-staging");
    assert.deepEqual(stackPorts("prod"), { hostPort: 5432, postgresExporterPort: 9187, sqlExporterPort: 9399 });
    const base = 20000 + 10 * (fnv1a32("staging") % 1000);
    assert.deepEqual(stackPorts("staging"), { hostPort: base, postgresExporterPort: base + 1, sqlExporterPort: base + 2 });
    assert.deepEqual(stackPorts("staging"), stackPorts("staging"), "deterministic");
    assert.notEqual(stackPorts("staging").hostPort, stackPorts("qa").hostPort);
    for (const s of ["a", "test", "feature-x", "dev", "e2e.1"]) {
      const p = stackPorts(s).hostPort;
      assert.ok(p >= 20000 && p + 2 < 30000 && p % 10 === 0, `${s}: ${p}`);
    }
  });

  it("FNV-1a is the published 32-bit function (test vectors)", () => {
    assert.equal(fnv1a32(""), 0x811c9dc5);
    assert.equal(fnv1a32("a"), 0xe40c292c);
    assert.equal(fnv1a32("foobar"), 0xbf9cf968);
  });
});

describe("stack names: the program under mocks", function () {
  this.timeout(60_000);

  it("prod keeps exactly its names and ports", async () => {
    const o = dockerObjects(await runProgram("prod"));
    assert.deepEqual(o.network, ["crypto-scout"]);
    assert.deepEqual(o.containers, ["crypto-scout-backup", "crypto-scout-pitr", "crypto-scout-postgres-exporter", "crypto-scout-sql-exporter", "crypto-scout-timescaledb"]);
    assert.deepEqual(o.volumes, ["crypto-scout-backups", "crypto-scout-data", "crypto-scout-pitr"]);
    assert.deepEqual(o.ports, ["127.0.0.1:5432", "127.0.0.1:9187", "127.0.0.1:9399"]);
  });

  it("dev keeps exactly its names and ports", async () => {
    const o = dockerObjects(await runProgram("dev"));
    assert.deepEqual(o.network, ["crypto-scout-dev"]);
    assert.deepEqual(o.containers, ["crypto-scout-dev-backup", "crypto-scout-dev-pitr", "crypto-scout-dev-postgres-exporter", "crypto-scout-dev-sql-exporter", "crypto-scout-dev-timescaledb"]);
    assert.deepEqual(o.volumes, ["crypto-scout-dev-backups", "crypto-scout-dev-data", "crypto-scout-dev-pitr"]);
    assert.deepEqual(o.ports, ["127.0.0.1:15432", "127.0.0.1:19187", "127.0.0.1:19399"]);
  });

  it("a new stack without namePrefix or ports gets its own, derived from its name", async () => {
    const o = dockerObjects(await runAsStack("staging"));
    const p = stackPorts("staging");
    assert.deepEqual(o.network, ["crypto-scout-staging"]);
    assert.deepEqual(o.containers, ["crypto-scout-staging-backup", "crypto-scout-staging-pitr", "crypto-scout-staging-postgres-exporter", "crypto-scout-staging-sql-exporter", "crypto-scout-staging-timescaledb"]);
    assert.deepEqual(o.volumes, ["crypto-scout-staging-backups", "crypto-scout-staging-data", "crypto-scout-staging-pitr"]);
    assert.deepEqual(o.ports, [p.hostPort, p.postgresExporterPort, p.sqlExporterPort].map((n) => `127.0.0.1:${n}`).sort());
  });

  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    ["prod's namePrefix", { namePrefix: "crypto-scout" }, /^Invalid config 'namePrefix': got "crypto-scout"; expected a prefix no other stack of this project uses \(this one gives the network crypto-scout\): stack prod \(Pulumi\.prod\.yaml\) takes it on the same Docker host; leave namePrefix unset/],
    ["dev's namePrefix", { namePrefix: "crypto-scout-dev" }, /^Invalid config 'namePrefix': got "crypto-scout-dev"; .*stack dev \(Pulumi\.dev\.yaml\)/],
    ["prod's port", { hostPort: "5432" }, /^Invalid config 'hostPort': got "5432"; expected a host port no other stack of this project uses \(this one gives 5432 on 127\.0\.0\.1; prod publishes hostPort 5432 on 127\.0\.0\.1\): stack prod/],
    ["dev's exporter port on every interface", { monitoringBindAddress: "0.0.0.0", sqlExporterPort: "19399" }, /^Invalid config 'sqlExporterPort': got "19399"; .*dev publishes sqlExporterPort 19399 on 127\.0\.0\.1/],
  ];
  for (const [what, overrides, message] of refused) {
    it(`refuses a new stack with ${what}, before any resource is registered`, async () => {
      await assert.rejects(runAsStack("staging", overrides), (e: ProgramError) => {
        assert.match(e.message, message);
        assert.ok(!e.message.includes("\n"), "one line");
        assert.deepEqual(e.registered, [], "nothing is created");
        return true;
      });
    });
  }

  it("a stack on another Docker host may use prod's names (both set docker:host)", async () => {
    const dir = tempProject({
      prod: "config:\n  docker:host: ssh://ops@db1\n",
      dr: "config:\n  docker:host: ssh://ops@db2\n  crypto-scout-db:namePrefix: crypto-scout\n  crypto-scout-db:hostPort: 5432\n",
    });
    assert.equal(define("dr", dir).settings.networkName, "crypto-scout");
    // Without docker:host on one side they may be on the same host: refused.
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "config: {}\n");
    assert.throws(() => define("dr", dir), /Invalid config 'namePrefix': got "crypto-scout".*stack prod/);
  });

  it("refuses a host directory another stack uses, or one inside it", () => {
    const dir = tempProject({
      prod: "config:\n  crypto-scout-db:dataHostPath: /srv/crypto-scout/data\n",
      qa: "config:\n  crypto-scout-db:dataHostPath: /srv/crypto-scout/data/qa\n",
    });
    assert.throws(() => define("qa", dir), /Invalid config 'dataHostPath': got "\/srv\/crypto-scout\/data\/qa"; expected a host directory apart from every other stack's, neither the same nor one inside the other \(prod's dataHostPath is \/srv\/crypto-scout\/data\): stack prod/);
    fs.writeFileSync(path.join(dir, "Pulumi.qa.yaml"), "config:\n  crypto-scout-db:dataHostPath: /srv/crypto-scout/data-qa\n");
    assert.equal(define("qa", dir).settings.data.kind, "hostPath");
  });

  it("an external-mode stack takes no Docker names, so it is compared with nothing", () => {
    const dir = tempProject({
      prod: "config: {}\n",
      cloud: "config:\n  crypto-scout-db:databaseUrl:\n    secure: v1:abc\n  crypto-scout-db:backupEnabled: false\n  crypto-scout-db:monitoringEnabled: false\n  crypto-scout-db:namePrefix: crypto-scout\n",
    });
    assert.equal(define("prod", dir).uncheckedStacks.length, 0);
    assert.equal(otherStacks("prod", dir)[0].settings?.external !== undefined, true);
  });

  it("another stack whose file cannot be read is reported for a warning, not a failure", () => {
    const dir = tempProject({ prod: "config: {}\n", broken: "config:\n  crypto-scout-db:maxConnections: many\n" });
    const unchecked = define("prod", dir).uncheckedStacks;
    assert.deepEqual(unchecked.map((o) => o.stack), ["broken"]);
    assert.match(String(unchecked[0].error), /maxConnections/);
  });
});
