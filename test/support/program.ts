/**
 * Runs the whole Pulumi program (index.ts) under Pulumi's mocks with a stack's real config, the way `pulumi preview`
 * would hand it over: Pulumi.yaml's declared defaults overlaid with Pulumi.<stack>.yaml, plus any overrides.
 * Records every registered resource with its inputs, so tests can assert on exactly what Pulumi would receive.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, stackConfig } from "../../components/config/stack-files";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  /** The resource options the program passed (retainOnDelete, deleteBeforeReplace, protect, ...). */
  readonly options: pulumi.ResourceOptions;
}

export interface ProgramRun {
  readonly resources: RecordedResource[];
  /** The program's stack outputs, resolved. Secret outputs resolve to their plain value; see `isSecret`. */
  readonly outputs: Record<string, unknown>;
  /** The raw exports, for checking secretness. */
  readonly exports: Record<string, unknown>;
  ofType(type: string): RecordedResource[];
  one(type: string, nameSuffix?: string): RecordedResource;
}

/** An error the program threw, with the resources it had registered before it threw. */
export interface ProgramError extends Error {
  registered: RecordedResource[];
}

const INDEX = path.resolve(__dirname, "..", "..", "index.ts");

/** Values the docker provider computes on create, so outputs that feed other resources are known under mocks. */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "docker:index/remoteImage:RemoteImage":
      return { ...inputs, imageId: `sha256:${Buffer.from(String(inputs.name)).toString("hex").slice(0, 64)}`, repoDigest: `${inputs.name}@sha256:0` };
    case "random:index/randomPassword:RandomPassword":
      return { ...inputs, result: `generated-${name}-password`, bcryptHash: "x" };
    default:
      return inputs;
  }
}

/**
 * Runs index.ts for `stack`. `overrides` replace single keys (without the project namespace), e.g. { hostPort: "x" }.
 * Throws whatever the program throws (that is how a bad config fails a preview).
 */
export async function runProgram(stack: string, overrides: Record<string, unknown> = {}, preview = true): Promise<ProgramRun> {
  const resources: RecordedResource[] = [];
  const options = new Map<string, pulumi.ResourceOptions>();
  const config: Record<string, string> = {};
  const values = { ...stackConfig(stack) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete values[`${PROJECT}:${key}`];
    else values[`${PROJECT}:${key}`] = value;
  }
  for (const [key, value] of Object.entries(values)) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(config);
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        if (args.type === "pulumi:pulumi:Stack") return { id: "", state: {} };
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, options: options.get(`${args.type}::${args.name}`) ?? {} });
        return { id: `${args.name}-id`, state: computedState(args.type, args.name, args.inputs) };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    PROJECT,
    stack,
    preview,
  );

  delete require.cache[INDEX];
  let exports: Record<string, unknown> = {};
  // As the CLI does: the program runs inside the root Stack resource. A stack transformation records the options each
  // resource is created with, which the mocks' newResource does not see.
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((t) => {
        options.set(`${t.type}::${t.name}`, t.opts);
        return undefined;
      });
      exports = require(INDEX) as Record<string, unknown>;
      return {};
    });
  } catch (e) {
    // What a failed preview had registered by the time it failed: for a config error, nothing.
    (e as ProgramError).registered = resources.slice();
    throw e;
  }
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exports)) {
    outputs[key] = pulumi.Output.isInstance(value) ? await resolve(value) : value;
  }
  // Registrations that no output depends on still finish; wait until the count settles.
  let seen = -1;
  while (seen !== resources.length) {
    seen = resources.length;
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    resources,
    outputs,
    exports,
    ofType: (type) => resources.filter((r) => r.type === type),
    one(type, nameSuffix) {
      const found = resources.filter((r) => r.type === type && (nameSuffix === undefined || r.name.endsWith(nameSuffix)));
      if (found.length !== 1) {
        throw new Error(`expected one ${type}${nameSuffix ? ` named *${nameSuffix}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
      }
      return found[0];
    },
  };
}

/** The value of an Output (plain, even when secret). */
export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((res) => output.apply((v) => { res(v); return v; }));
}

/** Whether an Output is marked secret. */
export async function isSecret(value: unknown): Promise<boolean> {
  return pulumi.Output.isInstance(value) ? await pulumi.isSecret(value as pulumi.Output<unknown>) : false;
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True when a recorded input was sent to the engine as a secret (so it is encrypted in state). */
export function isSecretInput(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The plain value inside a recorded secret input; throws if the input was not secret. */
export function unwrapSecretInput(value: unknown): unknown {
  if (!isSecretInput(value)) throw new Error(`expected a secret input, got ${JSON.stringify(value)}`);
  return (value as { value: unknown }).value;
}

/** A recorded input with secret wrappers removed, for comparing plain values. */
export function plain(value: unknown): unknown {
  if (isSecretInput(value)) return plain((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}
