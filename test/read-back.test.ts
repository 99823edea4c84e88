/**
 * Convergence by construction: every value the program hands the docker provider is already in the form the
 * provider's Read stores (components/docker-read-back.ts), so a second `pulumi up` of an unchanged stack changes
 * nothing. Mocks never read back, so this is checked against the rules, field by field, for both stacks and both
 * engines; a field without a rule fails too, so a new input cannot slip past the table.
 */
import { strict as assert } from "node:assert";
import { cpusRoundTrip, dockerCpus, engineIgnoreChanges, goDuration, READ_BACK_RULES, readBackRule, type DockerResource } from "../components/docker-read-back";
import { runProgram, type ProgramRun } from "./support/program";

const DOCKER_TYPES: Record<string, DockerResource> = {
  "docker:index/container:Container": "Container",
  "docker:index/network:Network": "Network",
  "docker:index/volume:Volume": "Volume",
  "docker:index/remoteImage:RemoteImage": "RemoteImage",
};

describe("docker read-back forms", () => {
  it("writes CPU limits as nanoInt64ToDecimalString does (provider helpers_test.go cases and its quirks)", () => {
    const cases: Array<[number, string]> = [[1, "1.0"], [2, "2.0"], [1.5, "1.5"], [0.5, "0.5"], [0.25, "0.25"], [2.5, "2.5"], [10, "10."], [20, "20."], [100, "100."], [20.05, "20.1"], [3, "3.0"]];
    for (const [cpus, text] of cases) assert.equal(dockerCpus(cpus), text, `${cpus}`);
    assert.ok(cpusRoundTrip(10) && cpusRoundTrip(1.5) && cpusRoundTrip(0.25), "\"10.\" parses back to 10 CPUs");
    assert.ok(!cpusRoundTrip(20.05), "20.05 would be read back as 20.1");
  });

  it("writes durations as Go's Duration.String", () => {
    const cases: Array<[number, string]> = [[0, "0s"], [5, "5s"], [10, "10s"], [60, "1m0s"], [90, "1m30s"], [300, "5m0s"], [3600, "1h0m0s"], [5400, "1h30m0s"]];
    for (const [seconds, text] of cases) assert.equal(goDuration(seconds), text);
  });

  it("cites a provider source for every rule, and says what Podman reports wherever it ignores a field there", () => {
    for (const r of READ_BACK_RULES) {
      assert.ok(r.source.length > 0 && r.readBack.length > 0, `${r.resource}.${r.field}`);
      if (r.podman) assert.match(r.podman.source, /containers\/podman/, `${r.resource}.${r.field}`);
    }
    assert.deepEqual(engineIgnoreChanges("podman", "Container").sort(), ["logOpts", "memorySwap", "stopSignal", "ulimits"]);
    assert.deepEqual(engineIgnoreChanges("podman", "Network"), ["ipamOptions"]);
    assert.deepEqual(engineIgnoreChanges("docker", "Container"), []);
  });

  for (const stack of ["dev", "prod"]) {
    for (const engine of ["docker", "podman"] as const) {
      describe(`${stack} on ${engine}`, () => {
        let run: ProgramRun;
        before(async () => {
          run = await runProgram(stack, { containerEngine: engine });
        });

        it("hands the docker provider only values in read-back form, each field covered by a rule", () => {
          const docker = run.resources.filter((r) => r.type in DOCKER_TYPES);
          assert.equal(docker.length, 14, "network, 3 volumes, 5 images, 5 containers (server, backup, PITR, 2 exporters)");
          for (const r of docker) {
            const kind = DOCKER_TYPES[r.type];
            for (const [field, value] of Object.entries(r.inputs)) {
              if (value === undefined) continue;
              const rule = readBackRule(kind, field) ?? assert.fail(`${r.name}: no read-back rule for ${kind}.${field}; add one to docker-read-back.ts`);
              assert.ok(rule.inReadBackForm(value), `${r.name}: ${field} = ${JSON.stringify(value)} is not what the provider reads back (${rule.readBack})`);
            }
            for (const rule of READ_BACK_RULES.filter((x) => x.resource === kind && !(x.field in r.inputs))) {
              assert.ok(rule.inReadBackForm(undefined), `${r.name}: ${rule.field} must be set: unset, the provider reads back ${rule.readBack}`);
            }
          }
        });

        it(engine === "podman" ? "ignores what Podman reports differently, sends only max-size, waits for no health" : "ignores no changes and waits for health", () => {
          for (const r of run.resources.filter((x) => x.type in DOCKER_TYPES)) {
            const kind = DOCKER_TYPES[r.type];
            assert.deepEqual(r.options.ignoreChanges ?? [], engineIgnoreChanges(engine, kind), `${r.name}`);
          }
          const containers = run.ofType("docker:index/container:Container");
          for (const c of containers) {
            assert.deepEqual(Object.keys(c.inputs.logOpts as object).sort(), engine === "podman" ? ["max-size"] : ["max-file", "max-size"], `${c.name} log options`);
          }
          assert.equal(run.one("docker:index/container:Container", "timescaledb-container").inputs.wait, engine === "docker");
        });
      });
    }
  }
});
