/**
 * The policy pack (policy/) over what the program registers under mocks, without the Pulumi CLI: every policy over
 * dev's and prod's resources (no violation), then one broken variant per rule (exactly that rule's violation).
 *
 * The arguments are built as @pulumi/policy 1.21.0's analyzer builds them (node_modules/@pulumi/policy/server.js
 * makeAnalyzeRpcFun / makeAnalyzeStackRpcFun): `props` come from the recorded inputs (the wire form, secrets wrapped)
 * through the library's own deserializeProperties(struct, false), which unwraps secrets to plain values, inside its
 * unknownCheckingProxy; `opts` as getResourceOptions maps AnalyzerResourceOptions (no retainOnDelete: the protocol does
 * not carry it); URNs as the engine makes them, from the parents' `urn` outputs under mocks; config as the CLI
 * reconciles it (pkg/resource/analyzer/config.go ReconcilePolicyPackConfig: schema defaults, then the stack's
 * policy/config/<stack>.json as the pack's initial config, then the test's override). For a stack policy, `props` are
 * the resources' planned outputs, which in a preview of a create are their inputs (plus provider-computed values,
 * unknown at preview), so the recorded inputs too. Not mirrored: `dependencies` and `propertyDependencies` (the mocks
 * do not record them; the rules fall back to the parent), `provider`, and alias URNs.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import yaml from "js-yaml";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import {
  UnknownValueError,
  unknownCheckingProxy,
  type EnforcementLevel,
  type PolicyConfigSchema,
  type PolicyPackConfig,
  type PolicyResource,
  type PolicyResourceOptions,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { policies } from "../policy/policies";
import { STACK_CONFIG_DIR, stackPolicyConfig } from "../policy/config";
import { PROJECT } from "../components/config/stack-files";
import { resolve, runProgram, type RecordedResource } from "./support/program";

// @pulumi/policy's deserializer, as its analyzer calls it (internal: not in the .d.ts).
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
  deserializeProperties(struct: Struct, proxySecrets: boolean): Record<string, unknown>;
};
const { makeAnalyzerInfo } = require("@pulumi/policy/protoutil") as {
  makeAnalyzerInfo(name: string, version: string, level: EnforcementLevel, args: { policies: typeof policies }, initial?: PolicyPackConfig): {
    getPoliciesList(): { getName(): string; getConfigschema(): unknown }[];
    getInitialconfigMap(): { getLength(): number };
  };
};

/** The engine's unknown string sentinel, as it sends values not known at preview (@pulumi/policy proxy.js). */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

/** A recorded resource with its URN, ready to be handed to the policies. Its inputs may be edited (a broken variant). */
interface Subject {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  parentUrn?: string;
  readonly opts: PolicyResourceOptions;
  inputs: Record<string, unknown>;
  /** Property name to the URNs it depends on (the engine sends them; the mocks do not record them). */
  propertyDependencies?: Record<string, string[]>;
}

/** server.js isTypeOf: the class's Pulumi type token, or its isInstance. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const cls = resourceClass as { __pulumiType?: string; isInstance?: (o: unknown) => boolean };
  return cls.__pulumiType !== undefined ? cls.__pulumiType === type : cls.isInstance?.({ __pulumiType: type }) === true;
}

interface Violation {
  readonly policy: string;
  readonly level: EnforcementLevel;
  readonly message: string;
  readonly urn?: string;
}

const ROOT_STACK = "pulumi:pulumi:Stack";

/**
 * A URN as the engine makes it (pulumi/pulumi sdk/go/common/resource/urn/urn.go New): the root stack's type is not part
 * of its children's type chain. The SDK's mocks put it there; this takes it out.
 */
function engineUrn(urn: string): string {
  const parts = urn.split("::");
  if (parts[2].startsWith(`${ROOT_STACK}$`)) parts[2] = parts[2].slice(ROOT_STACK.length + 1);
  return parts.join("::");
}

/** The resources a program run registered, with the URNs the engine gives them. */
async function subjects(stack: string, resources: readonly RecordedResource[]): Promise<Subject[]> {
  return Promise.all(
    resources.map(async (r) => {
      const parent = r.options.parent;
      const parentUrn = parent ? engineUrn(await resolve(parent.urn)) : undefined;
      // A resource's type chain is its parent's plus its own, the root stack left out.
      const parentType = parentUrn?.split("::")[2];
      const urn = `urn:pulumi:${stack}::${PROJECT}::${parentType && parentType !== ROOT_STACK ? `${parentType}$` : ""}${r.type}::${r.name}`;
      const o = r.options;
      const opts: PolicyResourceOptions = {
        protect: o.protect === true,
        ignoreChanges: (o.ignoreChanges as string[] | undefined) ?? [],
        aliases: ((o.aliases as unknown[] | undefined) ?? []).filter((a): a is string => typeof a === "string"),
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: (o.additionalSecretOutputs as string[] | undefined) ?? [],
        ...(o.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: o.deleteBeforeReplace as boolean } : {}),
        ...(parentUrn ? { parent: parentUrn } : {}),
      };
      return { type: r.type, name: r.name, urn, parentUrn, opts, inputs: structuredClone(r.inputs) };
    }),
  );
}

/** What the analyzer hands a policy as `props`: the wire form deserialized by @pulumi/policy, in its proxy. */
function policyProps(inputs: Record<string, unknown>): Record<string, unknown> {
  return unknownCheckingProxy(deserializeProperties(Struct.fromJavaScript(inputs as never), false));
}

/** A policy's effective level and config: schema defaults, then the stack's file, then `override` (ReconcilePolicyPackConfig). */
function reconcile(stack: string, override: PolicyPackConfig): Map<string, { level: EnforcementLevel; config: Record<string, unknown> }> {
  const out = new Map<string, { level: EnforcementLevel; config: Record<string, unknown> }>();
  for (const p of policies) {
    const defaults = Object.entries(p.configSchema?.properties ?? {}).filter(([, s]) => s.default !== undefined);
    out.set(p.name, { level: p.enforcementLevel ?? "advisory", config: Object.fromEntries(defaults.map(([k, s]) => [k, s.default])) });
  }
  for (const layer of [stackPolicyConfig(stack), override]) {
    for (const [name, value] of Object.entries(layer)) {
      const { enforcementLevel, ...properties } = typeof value === "string" ? { enforcementLevel: value } : value;
      const targets = name === "all" ? [...out.keys()] : [name];
      for (const t of targets) {
        const current = out.get(t);
        assert.ok(current, `config names the policy ${name}`);
        out.set(t, { level: enforcementLevel ?? current.level, config: { ...current.config, ...(name === "all" ? {} : properties) } });
      }
    }
  }
  return out;
}

function isStackPolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

/** Runs every policy over `resources` as the analyzer would (Analyze per resource, then AnalyzeStack once). */
async function evaluate(stack: string, resources: readonly Subject[], override: PolicyPackConfig = {}): Promise<Violation[]> {
  const settings = reconcile(stack, override);
  const violations: Violation[] = [];
  const notApplicable = (reason?: string): never => {
    throw new Error(`notApplicable: ${reason}`);
  };
  const guarded = async (policy: string, run: () => Promise<void> | void) => {
    try {
      await run();
    } catch (e) {
      // What the analyzer turns an unknown value into; the rules must never get here.
      if (e instanceof UnknownValueError) violations.push({ policy, level: "advisory", message: `can't run policy during preview: ${(e as Error).message}` });
      else throw e;
    }
  };
  // One props proxy per resource and per call, as the analyzer deserializes per request.
  const stackResources: PolicyResource[] = resources.map((r) => {
    const props = policyProps(r.inputs);
    return {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: r.opts,
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls),
      asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
    };
  });
  const byUrn = new Map(stackResources.map((r) => [r.urn, r]));
  resources.forEach((r, i) => {
    if (r.parentUrn && byUrn.has(r.parentUrn)) stackResources[i].parent = byUrn.get(r.parentUrn);
    for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
      stackResources[i].propertyDependencies[key] = urns.flatMap((u) => byUrn.get(u) ?? []);
    }
  });

  for (const policy of policies) {
    const { level, config } = settings.get(policy.name)!;
    if (level === "disabled") continue;
    const report = (urn?: string) => (message: string, reportedUrn?: string) => violations.push({ policy: policy.name, level, message, urn: reportedUrn ?? urn });
    const getConfig = <T extends object>() => structuredClone(config) as T;
    if (isStackPolicy(policy)) {
      await guarded(policy.name, () => policy.validateStack({ resources: stackResources, stackTags: new Map(), getConfig, notApplicable }, report()));
      continue;
    }
    const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const r of resources) {
      for (const validate of validations) {
        const props = policyProps(r.inputs);
        const args: ResourceValidationArgs = {
          type: r.type,
          props,
          urn: r.urn,
          name: r.name,
          opts: r.opts,
          stackTags: new Map(),
          isType: (cls) => isTypeOf(r.type, cls),
          asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
          getConfig,
          notApplicable,
        };
        await guarded(policy.name, () => validate(args, report(r.urn)));
      }
    }
  }
  return violations;
}

/** The one resource of `type` whose name ends with `suffix`. */
function find(resources: Subject[], type: string, suffix: string): Subject {
  const found = resources.filter((r) => r.type === type && r.name.endsWith(suffix));
  assert.equal(found.length, 1, `one ${type} named *${suffix}`);
  return found[0];
}

/** `-c name=value` of a command line replaced (or added, or with value undefined removed). */
function withSetting(command: unknown, name: string, value: string | undefined): string[] {
  const argv = [...(command as string[])];
  const i = argv.findIndex((a) => a.startsWith(`${name}=`));
  if (i >= 0) argv.splice(i - 1, 2);
  return value === undefined ? argv : [...argv, "-c", `${name}=${value}`];
}

function setEnv(container: Subject, name: string, value: string | undefined): void {
  const envs = (container.inputs.envs as string[]).filter((e) => !e.startsWith(`${name}=`));
  container.inputs.envs = value === undefined ? envs : [...envs, `${name}=${value}`];
}

/** Asserts that every violation is from `policy`, that there are `count`, and returns their messages. */
function only(violations: Violation[], policy: string, count: number, level?: EnforcementLevel): string[] {
  assert.deepEqual([...new Set(violations.map((v) => v.policy))], [policy], JSON.stringify(violations, null, 2));
  assert.equal(violations.length, count, JSON.stringify(violations, null, 2));
  if (level) for (const v of violations) assert.equal(v.level, level);
  return violations.map((v) => v.message);
}

const stacks: Record<string, Subject[]> = {};
async function stackResources(stack: string): Promise<Subject[]> {
  stacks[stack] ??= await subjects(stack, (await runProgram(stack)).resources);
  // A fresh copy each time: variants edit inputs.
  return stacks[stack].map((r) => ({ ...r, inputs: structuredClone(r.inputs) }));
}

async function programVariant(stack: string, overrides: Record<string, unknown>): Promise<Subject[]> {
  return subjects(stack, (await runProgram(stack, overrides)).resources);
}

describe("policy pack: the pack as the CLI loads it", () => {
  const dir = path.resolve(__dirname, "..", "policy");

  it("has PulumiPolicy.yaml with runtime nodejs and a package.json with a version (PolicyPack reads it from the cwd)", () => {
    const manifest = yaml.load(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")) as Record<string, unknown>;
    assert.equal(manifest.runtime, "nodejs");
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    assert.match(String(pkg.version), /^\d+\.\d+\.\d+$/);
    assert.equal(pkg.main, "index.ts");
    assert.equal(pkg.dependencies, undefined, "dependencies resolve from the root's node_modules");
    const root = JSON.parse(fs.readFileSync(path.join(dir, "..", "package.json"), "utf8")) as { dependencies: Record<string, string> };
    assert.match(root.dependencies["@pulumi/policy"], /^\d+\.\d+\.\d+$/, "pinned at the root");
  });

  it("has a tsconfig.json that gives ts-node the root's target and module (run-policy-pack would use ES2020/nodenext)", () => {
    const read = (file: string) => yaml.load(fs.readFileSync(file, "utf8").replace(/^\s*\/\/.*$/gm, "")) as { compilerOptions: Record<string, string> };
    const root = read(path.join(dir, "..", "tsconfig.json")).compilerOptions;
    const own = read(path.join(dir, "tsconfig.json")).compilerOptions;
    for (const key of ["target", "module", "moduleResolution"]) assert.equal(own[key], root[key], key);
  });

  it("describes every policy to the engine, with each stack's file as initial config (@pulumi/policy's makeAnalyzerInfo)", () => {
    for (const stack of ["dev", "prod"]) {
      const info = makeAnalyzerInfo("crypto-scout-db", "0.1.0", "advisory", { policies }, stackPolicyConfig(stack));
      assert.deepEqual(info.getPoliciesList().map((p) => p.getName()), policies.map((p) => p.name));
      assert.ok(info.getPoliciesList().every((p) => p.getConfigschema() !== undefined), "every policy has a config schema");
    }
  });

  it("gives every policy a name, a description, a level by the rule, and a schema whose defaults fit it", () => {
    const mandatory = ["secrets-as-files", "backup-sidecar", "backup-whole-database", "persistence", "database-tls"];
    assert.equal(new Set(policies.map((p) => p.name)).size, policies.length);
    for (const p of policies) {
      assert.notEqual(p.name, "all");
      assert.ok(p.description.length > 20, p.name);
      assert.equal(p.enforcementLevel, mandatory.includes(p.name) ? "mandatory" : "advisory", p.name);
      const schema = p.configSchema as PolicyConfigSchema;
      assert.ok(schema, `${p.name} has a configSchema`);
      assert.ok(!("enforcementLevel" in schema.properties), "enforcementLevel is not a property");
      for (const [key, s] of Object.entries(schema.properties)) {
        assert.ok(s.description, `${p.name}.${key} is described`);
        assert.ok(s.default !== undefined, `${p.name}.${key} has a default`);
      }
    }
  });

  it("reads policy/config/<stack>.json for the stack the CLI names, and only policy names and schema properties are in them", () => {
    assert.deepEqual(stackPolicyConfig("dev"), { "backup-sidecar": "advisory" });
    assert.deepEqual(stackPolicyConfig("org/crypto-scout-db/dev"), { "backup-sidecar": "advisory" });
    assert.deepEqual(stackPolicyConfig("prod"), {});
    for (const bad of [undefined, "", "../dev", "a/b/../dev", ".hidden", "no-such-stack"]) assert.deepEqual(stackPolicyConfig(bad), {});
    const levels = ["advisory", "mandatory", "remediate", "disabled"];
    for (const file of fs.readdirSync(STACK_CONFIG_DIR)) {
      const config = stackPolicyConfig(path.basename(file, ".json"));
      for (const [name, value] of Object.entries(config)) {
        const policy = policies.find((p) => p.name === name);
        assert.ok(policy || name === "all", `${file}: ${name} is a policy`);
        const { enforcementLevel, ...props } = typeof value === "string" ? { enforcementLevel: value } : value;
        if (enforcementLevel !== undefined) assert.ok(levels.includes(enforcementLevel), `${file}: ${name} level`);
        for (const [key, v] of Object.entries(props)) {
          const s = policy?.configSchema?.properties[key];
          assert.ok(s, `${file}: ${name}.${key} is in the schema`);
          assert.equal(Array.isArray(v) ? "array" : Number.isInteger(v) && s.type === "integer" ? "integer" : typeof v, s.type, `${file}: ${name}.${key}`);
        }
      }
    }
  });
});

describe("policy pack: the stacks as they are", () => {
  for (const stack of ["dev", "prod"]) {
    it(`${stack}: no violation`, async () => {
      const resources = await stackResources(stack);
      assert.ok(resources.some((r) => r.type === CONTAINER) && resources.some((r) => r.type === DYNAMIC));
      assert.deepEqual(await evaluate(stack, resources), []);
    });

    it(`${stack}: no violation, and nothing unreadable, in a preview of a fresh stack (computed values unknown)`, async () => {
      const resources = await stackResources(stack);
      for (const r of resources) {
        // The container runs the remote image's id, the password file holds a generated password, and the schema
        // stage's connection comes from the readiness resource's outputs: none is known before the first update.
        if (r.type === CONTAINER) {
          r.inputs.image = UNKNOWN_STRING;
          r.inputs.uploads = UNKNOWN_STRING;
        }
        if (r.type === DYNAMIC) for (const k of ["host", "port", "database", "user", "password"]) if (k in r.inputs) r.inputs[k] = UNKNOWN_STRING;
      }
      // What the rules are guarded against: @pulumi/policy's proxy throws on reading such a value.
      const server = find(resources, CONTAINER, "timescaledb-container");
      assert.throws(() => policyProps(server.inputs).image, UnknownValueError);
      assert.deepEqual(await evaluate(stack, resources), []);
    });
  }
});

describe("policy pack: the stacks as they are", () => {
  it("an external stack (databaseUrl, verify-full by default): no violation", async () => {
    const url = "postgresql://tsdbadmin:pw@abc.tsdb.cloud.timescale.com:34567/tsdb";
    const run = await runProgram("prod", { databaseUrl: url, backupEnabled: "false", monitoringEnabled: "false" }, true, ["databaseUrl"]);
    assert.deepEqual(await evaluate("prod", await subjects("prod", run.resources)), []);
  });
});

describe("policy pack: one broken variant per rule", () => {
  it("secrets-as-files: a plaintext password variable and a connection string with a password (mandatory, values not shown)", async () => {
    const resources = await stackResources("prod");
    const server = find(resources, CONTAINER, "timescaledb-container");
    setEnv(server, "POSTGRES_PASSWORD", "hunter2hunter2");
    const backup = find(resources, CONTAINER, "backup-container");
    setEnv(backup, "DATABASE_URL", "postgresql://crypto_scout_db:s3cret@timescaledb:5432/crypto_scout");
    const messages = only(await evaluate("prod", resources), "secrets-as-files", 2, "mandatory");
    assert.match(messages[0], /^container "crypto-scout-timescaledb" \(timescaledb-container\): environment variable POSTGRES_PASSWORD carries a password in plain text \(a 14-character value, not shown\); expected the password in a file/);
    assert.match(messages[1], /^container "crypto-scout-backup" \(backup-container\): environment variable DATABASE_URL carries a connection string with a password \(postgresql:\/\/crypto_scout_db:\*\*\*@timescaledb:5432\/crypto_scout\)/);
    for (const m of messages) assert.doesNotMatch(m, /hunter2|s3cret/);
  });

  it("secrets-as-files: a password that is a Pulumi secret still shows in docker inspect (the policy sees it unwrapped)", async () => {
    const resources = await stackResources("dev");
    const server = find(resources, CONTAINER, "timescaledb-container");
    server.inputs.envs = [...(server.inputs.envs as string[]), { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "PGPASSWORD=abc" }];
    assert.match(only(await evaluate("dev", resources), "secrets-as-files", 1)[0], /PGPASSWORD carries a password in plain text \(a 3-character value, not shown\)/);
  });

  it("pinned-images: :latest, a floating latest-pg17 and no tag at all (advisory); a major-only tag when the stack requires full versions", async () => {
    const resources = await stackResources("prod");
    find(resources, IMAGE, "timescaledb-image").inputs.name = "timescale/timescaledb:latest-pg17";
    find(resources, IMAGE, "backup-image").inputs.name = "prodrigestivill/postgres-backup-local:latest";
    const messages = only(await evaluate("prod", resources), "pinned-images", 2, "advisory");
    assert.deepEqual(messages, [
      'image "timescale/timescaledb:latest-pg17" (timescaledb-image) has the floating tag "latest-pg17"; expected a tag that starts with a release version, such as 2.29.2-pg17 or 17, or a digest (@sha256:...)',
      'image "prodrigestivill/postgres-backup-local:latest" (backup-image) has the floating tag "latest"; expected a tag that starts with a release version, such as 2.29.2-pg17 or 17, or a digest (@sha256:...)',
    ]);
    find(resources, IMAGE, "timescaledb-image").inputs.name = "timescale/timescaledb";
    find(resources, IMAGE, "backup-image").inputs.name = "prodrigestivill/postgres-backup-local@sha256:0123";
    assert.match(only(await evaluate("prod", resources), "pinned-images", 1)[0], /^image "timescale\/timescaledb" \(timescaledb-image\) has no tag, so Docker pulls latest;/);

    const strict = await stackResources("prod");
    const full = only(await evaluate("prod", strict, { "pinned-images": { requireFullVersion: true } }), "pinned-images", 1);
    assert.match(full[0], /^image "prodrigestivill\/postgres-backup-local:17" \(backup-image\) has the tag "17", which names no major\.minor release;/);
  });

  it("exposure: the port on 0.0.0.0 (the program with bindAddress 0.0.0.0) or without an address, unless the stack's config allows it", async () => {
    const resources = await programVariant("dev", { bindAddress: "0.0.0.0" });
    const messages = only(await evaluate("dev", resources), "exposure", 1, "advisory");
    assert.equal(
      messages[0],
      'container "crypto-scout-dev-timescaledb" (timescaledb-container) publishes database port 5432 on every interface (address "0.0.0.0", host port 15432); ' +
        "expected one address such as 127.0.0.1 (bindAddress), or allowAllInterfaces: true in this stack's policy config (policy/config/<stack>.json)",
    );
    assert.deepEqual(await evaluate("dev", resources, { exposure: { allowAllInterfaces: true } }), []);
    assert.equal(only(await evaluate("dev", resources, { exposure: "mandatory" }), "exposure", 1)[0], messages[0]);
    assert.equal((await evaluate("dev", resources, { exposure: "mandatory" }))[0].level, "mandatory");

    const ipv6 = await stackResources("prod");
    const server = find(ipv6, CONTAINER, "timescaledb-container");
    server.inputs.ports = [{ internal: 5432, external: 5432, ip: "::", protocol: "tcp" }, { internal: 5432, external: 5433, protocol: "tcp" }];
    const both = only(await evaluate("prod", ipv6), "exposure", 2);
    assert.match(both[0], /\(address "::", host port 5432\)/);
    assert.match(both[1], /\(address none, which Docker publishes on 0\.0\.0\.0 and ::, host port 5433\)/);
  });

  it("capacity: a 1 GiB limit with shared_buffers=2GB breaks the memory budget, by the tuning module's check", async () => {
    const resources = await stackResources("prod");
    const server = find(resources, CONTAINER, "timescaledb-container");
    server.inputs.memory = 1024;
    server.inputs.memorySwap = 1024;
    server.inputs.command = withSetting(server.inputs.command, "shared_buffers", "2GB");
    const messages = only(await evaluate("prod", resources), "capacity", 1, "advisory");
    assert.match(
      messages[0],
      /^container "crypto-scout-timescaledb" \(timescaledb-container\) \(memory 1 GiB, shm 1 GiB\): memory budget 7312 MiB exceeds 90% of the 1 GiB container limit \(921\.6 MiB\): shared_buffers 2GB \+ wal_buffers 16MB \+ maintenance_work_mem 1GB \+ autovacuum_max_workers 4 × autovacuum_work_mem 256MB \+ max_connections 200 × work_mem 16MB$/,
    );
    // A stack policy's violation names the resource, by the URN the engine gives it.
    assert.deepEqual(
      (await evaluate("prod", resources)).map((v) => v.urn),
      ["urn:pulumi:prod::crypto-scout-db::crypto-scout:server:TimescaleServer$docker:index/container:Container::timescaledb-container"],
    );
  });

  it("capacity: a command line the checks cannot read, and warnings only on request", async () => {
    const resources = await stackResources("dev");
    const server = find(resources, CONTAINER, "timescaledb-container");
    server.inputs.command = withSetting(server.inputs.command, "work_mem", undefined);
    assert.deepEqual(only(await evaluate("dev", resources), "capacity", 1), [
      'container "crypto-scout-dev-timescaledb" (timescaledb-container): its command line cannot be checked: work_mem is not set on the command line; the capacity checks need it',
    ]);
    const warned = await stackResources("dev");
    const shared = find(warned, CONTAINER, "timescaledb-container");
    shared.inputs.command = withSetting(shared.inputs.command, "shared_buffers", "128MB");
    assert.deepEqual(await evaluate("dev", warned), []);
    assert.match(only(await evaluate("dev", warned, { capacity: { reportWarnings: true } }), "capacity", 1)[0], /, warning: shared_buffers 128MB is 6\.3% of the 2 GiB container limit/);
  });

  it("capacity: the PostgreSQL major is the server image's (beside the container, or its image property dependency)", async () => {
    // On 16, parallel VACUUM's dead-tuple array counts against /dev/shm (a warning): prod's 1 GiB is short of it.
    const warningOn16 = /, warning: shm_size 1 GiB < 1216 MiB: .* on PostgreSQL 16$/;
    const resources = await stackResources("prod");
    const image = find(resources, IMAGE, "timescaledb-image");
    image.inputs.name = "timescale/timescaledb:2.29.2-pg16";
    const warnings = { capacity: { reportWarnings: true } };
    assert.match(only(await evaluate("prod", resources, warnings), "capacity", 1)[0], warningOn16);
    const server = find(resources, CONTAINER, "timescaledb-container");
    server.parentUrn = undefined;
    assert.deepEqual(await evaluate("prod", resources, warnings), [], "no image found: the newest major, 17");
    server.propertyDependencies = { image: [image.urn] };
    assert.match(only(await evaluate("prod", resources, warnings), "capacity", 1)[0], warningOn16);
  });

  it("observability: slow statement logging off and log_checkpoints missing", async () => {
    const resources = await stackResources("prod");
    const server = find(resources, CONTAINER, "timescaledb-container");
    server.inputs.command = withSetting(withSetting(server.inputs.command, "log_min_duration_statement", "-1"), "log_checkpoints", undefined);
    assert.deepEqual(only(await evaluate("prod", resources), "observability", 2, "advisory"), [
      'container "crypto-scout-timescaledb" (timescaledb-container): log_min_duration_statement=-1 turns slow statement logging off; expected log_min_duration_statement between 0 and 1000ms (the earlier podman-compose deployment: 500ms)',
      'container "crypto-scout-timescaledb" (timescaledb-container) does not set log_checkpoints on its command line; expected log_checkpoints=on',
    ]);
    server.inputs.command = withSetting(withSetting(server.inputs.command, "log_min_duration_statement", "2s"), "log_checkpoints", "of");
    assert.deepEqual(only(await evaluate("prod", resources, { observability: { maxLogMinDurationStatementMs: 1500 } }), "observability", 2), [
      'container "crypto-scout-timescaledb" (timescaledb-container): log_min_duration_statement=2s logs only statements slower than 2000ms; expected log_min_duration_statement between 0 and 1500ms (the earlier podman-compose deployment: 500ms)',
      'container "crypto-scout-timescaledb" (timescaledb-container): log_checkpoints=of does not log checkpoints; expected log_checkpoints=on',
    ]);
  });

  it("data-lifecycle: a hypertable without its retention policy resource", async () => {
    const resources = (await stackResources("prod")).filter((r) => !r.name.endsWith("-retention-bybit_lpl"));
    const messages = only(await evaluate("prod", resources), "data-lifecycle", 1, "advisory");
    assert.equal(
      messages[0],
      "hypertable crypto_scout.bybit_lpl (crypto-scout-hypertable-bybit_lpl) has no retention policy resource (found: compression, reorder); expected compression, reorder, retention policy resources for every hypertable",
    );
    assert.deepEqual(await evaluate("prod", resources, { "data-lifecycle": { requiredPolicies: ["compression", "reorder"] } }), []);
  });

  it("data-lifecycle: retention no longer than compression (a 5-day retention on cmc_fgi, which the program itself refuses)", async () => {
    await assert.rejects(runProgram("prod", { tables: { cmc_fgi: { retention: "5 days" } } }), /Invalid config 'tables\.cmc_fgi\.retention': got "5 days"/);
    // The pack still checks what reaches it (another program, or state written before the program refused it).
    const resources = await stackResources("prod");
    const retention = resources.find((r) => r.name.endsWith("-retention-cmc_fgi"));
    assert.ok(retention);
    retention.inputs.policy = { kind: "retention", after: "5 days" };
    assert.deepEqual(only(await evaluate("prod", resources), "data-lifecycle", 1), [
      "hypertable crypto_scout.cmc_fgi (crypto-scout-hypertable-cmc_fgi): retention drops chunks after 5 days, no later than compression (after 7 days) would compress them; expected a retention window longer than 7 days",
    ]);
  });

  it("backup-sidecar: the program without backups (mandatory in prod, advisory in dev by policy/config/dev.json)", async () => {
    const prod = only(await evaluate("prod", await programVariant("prod", { backupEnabled: false })), "backup-sidecar", 1, "mandatory");
    assert.equal(
      prod[0],
      'container "crypto-scout-timescaledb" (timescaledb-container) has no backup sidecar: no container dumps it (none sets POSTGRES_HOST to crypto-scout-timescaledb or timescaledb or postgres ' +
        "with the postgres-backup-local variables SCHEDULE/BACKUP_DIR); expected the backup sidecar (backupEnabled: true)",
    );
    // dev's own resources without the sidecar component's children.
    const dev = (await stackResources("dev")).filter((r) => !r.urn.includes("crypto-scout:backup:BackupSidecar"));
    assert.match(only(await evaluate("dev", dev), "backup-sidecar", 1, "advisory")[0], /^container "crypto-scout-dev-timescaledb" \(timescaledb-container\) has no backup sidecar/);
  });

  it("backup-whole-database: the seed's --schema dump, and -n / -t / --table filters (mandatory)", async () => {
    const resources = await stackResources("prod");
    const backup = find(resources, CONTAINER, "backup-container");
    setEnv(backup, "POSTGRES_EXTRA_OPTS", "--schema=crypto_scout --blobs");
    assert.deepEqual(only(await evaluate("prod", resources), "backup-whole-database", 1, "mandatory"), [
      'container "crypto-scout-backup" (backup-container) dumps with POSTGRES_EXTRA_OPTS="--schema=crypto_scout --blobs": --schema=crypto_scout leaves part of the database out, ' +
        "and a TimescaleDB dump filtered by schema or table restores no hypertable rows (they live in chunks in _timescaledb_internal); expected whole-database options such as --format=custom --compress=6",
    ]);
    for (const [options, filters] of [
      ["-Fc -n crypto_scout", "-n"],
      ["-Fc -tcmc_fgi", "-tcmc_fgi"],
      ["--format=custom --table cmc_fgi --schema-only", "--table --schema-only"],
    ]) {
      setEnv(backup, "POSTGRES_EXTRA_OPTS", options);
      assert.match(only(await evaluate("prod", resources), "backup-whole-database", 1)[0], new RegExp(`: ${filters} leaves? part of the database out`));
    }
  });

  it("database-tls: an external server over require or without TLS (mandatory), unless the stack allows it", async () => {
    const url = "postgresql://tsdbadmin:pw@db.example.com:5432/tsdb";
    const resources = await subjects("prod", (await runProgram("prod", { databaseUrl: url, sslMode: "require", backupEnabled: "false", monitoringEnabled: "false" }, true, ["databaseUrl"])).resources);
    const messages = only(await evaluate("prod", resources), "database-tls", resources.filter((r) => r.type === DYNAMIC).length, "mandatory");
    assert.equal(
      messages.find((m) => m.startsWith("crypto-scout-hypertable-cmc_fgi ")),
      "crypto-scout-hypertable-cmc_fgi connects to db.example.com:5432 with sslmode=require; expected sslMode verify-full (or verify-ca) for a server across a network, or allowUnverifiedTls: true in this stack's policy config (policy/config/<stack>.json)",
    );
    assert.deepEqual(await evaluate("prod", resources, { "database-tls": { allowUnverifiedTls: true } }), []);
    const plain = await subjects("prod", (await runProgram("prod", { databaseUrl: `${url}?sslmode=disable`, sslMode: "disable", backupEnabled: "false", monitoringEnabled: "false" }, true, ["databaseUrl"])).resources);
    assert.match(only(await evaluate("prod", plain), "database-tls", plain.filter((r) => r.type === DYNAMIC).length)[0], / with sslmode=disable; /);
  });

  it("persistence: destroyDeletesData without the stack's policy opt-in (the program with destroyDeletesData: true)", async () => {
    const resources = await programVariant("prod", { destroyDeletesData: true });
    const messages = only(await evaluate("prod", resources), "persistence", 4, "mandatory");
    assert.equal(
      messages[0],
      "hypertable crypto_scout.cmc_fgi (crypto-scout-hypertable-cmc_fgi) has destroyDropsTables: true, so pulumi destroy drops the table and its rows; " +
        "expected false unless this stack opted in with destroyDeletesData: true and allowDestroyDeletesData: true in this stack's policy config (policy/config/<stack>.json)",
    );
    assert.deepEqual(await evaluate("prod", resources, { persistence: { allowDestroyDeletesData: true } }), []);
  });

  it("persistence: a server or sidecar without its volume keeps its data in the container", async () => {
    const resources = await stackResources("dev");
    find(resources, CONTAINER, "timescaledb-container").inputs.volumes = [{ containerPath: "/var/lib/postgresql/data" }];
    find(resources, CONTAINER, "backup-container").inputs.volumes = [];
    assert.deepEqual(only(await evaluate("dev", resources), "persistence", 2), [
      'container "crypto-scout-dev-timescaledb" (timescaledb-container) keeps its data directory /var/lib/postgresql/data (PGDATA) inside the container: no named volume or host directory is mounted there, ' +
        "so replacing or removing the container loses them; expected a volume or host path mounted at /var/lib/postgresql/data",
      'container "crypto-scout-dev-backup" (backup-container) keeps its dumps /backups (BACKUP_DIR) inside the container: no named volume or host directory is mounted there, ' +
        "so replacing or removing the container loses them; expected a volume or host path mounted at /backups",
    ]);
    // A host directory mounted above PGDATA holds it too.
    find(resources, CONTAINER, "timescaledb-container").inputs.volumes = [{ containerPath: "/var/lib/postgresql", hostPath: "/srv/pg" }];
    find(resources, CONTAINER, "backup-container").inputs.volumes = [{ containerPath: "/backups", hostPath: "/srv/backups" }];
    assert.deepEqual(await evaluate("dev", resources), []);
  });
});
