/**
 * Runs the whole Pulumi program (index.ts) under Pulumi's mocks with a stack's real config, the way `pulumi preview`
 * would hand it over: Pulumi.yaml's declared defaults overlaid with Pulumi.<stack>.yaml, plus any overrides.
 * Records every registered resource with its inputs, so tests can assert on exactly what Pulumi would receive.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import Module from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, stackConfig } from "../../components/config/stack-files";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  /** The resource options the program passed (retainOnDelete, deleteBeforeReplace, protect, ...). */
  readonly options: pulumi.CustomResourceOptions;
}

export interface ProgramRun extends Recording<Record<string, unknown>> {
  /** The program's stack outputs, resolved. Secret outputs resolve to their plain value; see `isSecret`. */
  readonly outputs: Record<string, unknown>;
  /** The raw exports, for checking secretness. */
  readonly exports: Record<string, unknown>;
}

/** An error the program threw, with the resources it had registered before it threw. */
export interface ProgramError extends Error {
  registered: RecordedResource[];
}

// Internal to @pulumi/pulumi (not in its .d.ts), what disconnect() awaits before the language host exits.
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

const INDEX = path.resolve(__dirname, "..", "..", "index.ts");

/** What a `random.RandomBytes` named `name` holds under these mocks: deterministic, distinct per resource. */
export function generatedBytes(name: string, length: number): Buffer {
  return createHash("sha256").update(`generated-${name}`).digest().subarray(0, length);
}

/** Values the docker provider computes on create, so outputs that feed other resources are known under mocks. */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "docker:index/remoteImage:RemoteImage":
      return { ...inputs, imageId: `sha256:${Buffer.from(String(inputs.name)).toString("hex").slice(0, 64)}`, repoDigest: `${inputs.name}@sha256:0` };
    case "random:index/randomPassword:RandomPassword":
      return { ...inputs, result: `generated-${name}`, bcryptHash: "x" };
    case "random:index/randomBytes:RandomBytes": {
      const bytes = generatedBytes(name, Number(inputs.length));
      return { ...inputs, base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    }
    default:
      return inputs;
  }
}

/** Resources a program registered under mocks, with lookups. */
export interface Recording<T> {
  readonly resources: RecordedResource[];
  /** What the program function returned. */
  readonly result: T;
  ofType(type: string): RecordedResource[];
  /** The one resource of `type` whose name ends with `nameSuffix` (or the only one of the type); throws otherwise. */
  one(type: string, nameSuffix?: string): RecordedResource;
}

/**
 * Runs `program` under Pulumi mocks inside a root Stack resource, as the CLI runs a program, and records every
 * resource it registers with its inputs and options (a stack transformation sees the options, which the mocks'
 * newResource does not). `config` is the stack config, `project:key` to value. Throws what the program throws, with
 * the resources registered so far in `registered`.
 */
export async function recordProgram<T>(
  program: () => T,
  {
    stack = "test",
    config = {},
    preview = true,
    secretKeys = [],
  }: { stack?: string; config?: Record<string, unknown>; preview?: boolean; secretKeys?: readonly string[] } = {},
): Promise<Recording<T>> {
  const resources: RecordedResource[] = [];
  const options = new Map<string, pulumi.CustomResourceOptions>();
  // secretKeys: the keys set with --secret, as the CLI lists them for the program (PULUMI_CONFIG_SECRET_KEYS).
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])), [...secretKeys]);
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
  let result: T | undefined;
  const restoreStacks = plainStackTraces();
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((t) => {
        options.set(`${t.type}::${t.name}`, t.opts);
        return undefined;
      });
      result = program();
      return {};
    });
    await settled(resources);
  } catch (e) {
    // What a failed preview had registered by the time it failed: for a config error, nothing.
    (e as ProgramError).registered = resources.slice();
    throw e;
  } finally {
    restoreStacks();
  }
  return {
    resources,
    result: result as T,
    ofType: (type) => resources.filter((r) => r.type === type),
    one: (type, nameSuffix) => oneOf(resources, type, nameSuffix),
  };
}

/**
 * Registrations that nothing awaits still finish, as the language host lets them (the CLI's program exits only when
 * its RPCs are done: @pulumi/pulumi runtime/settings.js waitForRPCs, which disconnect() awaits; every registration
 * holds an rpcKeepAlive while it runs): wait for the RPC queue to drain, then for one turn of the event loop, until no
 * new registration appeared (an apply that creates a resource runs after the RPC whose output it reads).
 */
async function settled(resources: unknown[]): Promise<void> {
  let seen = -1;
  while (seen !== resources.length) {
    seen = resources.length;
    await waitForRPCs();
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Pulumi takes a stack trace for every promise it makes (@pulumi/pulumi runtime/debuggable.js debuggablePromise keeps
 * `new Error().stack` to name leaked promises at exit, which a test process never reports) and every resource
 * (resource.js Resource.callsites, its source position, which the mocks do not record; it sets
 * Error.stackTraceLimit to Infinity itself, so it is unaffected by the limit below). Under ts-node each trace went
 * through source-map-support's prepareStackTrace frame by frame, which was half of a program run (1.1 s against 0.67 s
 * with V8's own format), and formatting the ten frames of each promise's trace in V8's format was still 40 % of what
 * remained (6 runs: 3.6 s with ten frames, 1.9 s with none). So while a program runs, traces are V8's own, without
 * frames: an error the program throws keeps its message (what the tests assert on and what `pulumi preview` prints)
 * but not where it was thrown. TEST_MAPPED_STACKS=1 keeps full, source-mapped traces, for debugging a failing run.
 */
function plainStackTraces(): () => void {
  if (process.env.TEST_MAPPED_STACKS === "1") return () => undefined;
  const mapped = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
  Error.stackTraceLimit = 0;
  return () => {
    Error.prepareStackTrace = mapped;
    Error.stackTraceLimit = limit;
  };
}

/** ts-node's service, which its `register` leaves on the process (ts-node dist/index.js REGISTER_INSTANCE). */
const TS_NODE = Symbol.for("ts-node.register.instance");
let indexJs: string | undefined;

/**
 * index.ts evaluated afresh, as `pulumi preview` runs it once per process: a new module each call, so its top level
 * runs again and registers the resources again, while the modules it imports stay loaded (they hold no stack state).
 * ts-node's transpilation of it is done once per process and kept (a quarter of a program run otherwise); without
 * ts-node (plain node on compiled output) it is required afresh.
 */
export function loadIndex(): Record<string, unknown> {
  const service = (process as unknown as Record<symbol, { compile(code: string, fileName: string): string } | undefined>)[TS_NODE];
  if (!service) {
    delete require.cache[INDEX];
    return require(INDEX) as Record<string, unknown>;
  }
  indexJs ??= service.compile(fs.readFileSync(INDEX, "utf8"), INDEX);
  const m = new Module(INDEX, module) as Module & { _compile(code: string, filename: string): void; paths: string[] };
  m.filename = INDEX;
  m.paths = (Module as unknown as { _nodeModulePaths(from: string): string[] })._nodeModulePaths(path.dirname(INDEX));
  m._compile(indexJs, INDEX);
  return m.exports as Record<string, unknown>;
}

/** Program runs already made in this process, by their arguments (see runProgram). */
const runs = new Map<string, Promise<ProgramRun>>();

/**
 * Runs index.ts for `stack` with that stack's config. `overrides` replace single keys (without the project
 * namespace), e.g. { hostPort: "x" }; undefined removes one. `secrets` names keys (without the namespace) the stack
 * keeps as secrets. Throws what the program throws (that is how a bad config fails a preview).
 */
export async function runProgram(stack: string, overrides: Record<string, unknown> = {}, preview = true, secrets: readonly string[] = []): Promise<ProgramRun> {
  // The program under mocks is a function of its config: a run with the same arguments records the same resources,
  // so each is made once per process (a worker keeps it for the files it runs after) and every caller gets its own
  // copy of the recorded inputs to change as it likes. A run that throws is not kept (a refusal is cheap).
  // undefined (a key removed) must not read as a key left alone, which JSON.stringify would make it.
  const key = JSON.stringify([stack, overrides, preview, secrets], (_, v: unknown) => (v === undefined ? { removed: true } : v));
  let run = runs.get(key);
  if (!run) {
    run = runProgramOnce(stack, overrides, preview, secrets);
    runs.set(key, run);
    run.catch(() => runs.delete(key));
  }
  return copyOfRun(await run);
}

function copyOfRun(run: ProgramRun): ProgramRun {
  const resources = run.resources.map((r) => ({ ...r, inputs: structuredClone(r.inputs) }));
  return {
    ...run,
    resources,
    outputs: { ...run.outputs },
    exports: { ...run.exports },
    ofType: (type) => resources.filter((r) => r.type === type),
    one: (type, nameSuffix) => oneOf(resources, type, nameSuffix),
  };
}

function oneOf(resources: RecordedResource[], type: string, nameSuffix?: string): RecordedResource {
  const found = resources.filter((r) => r.type === type && (nameSuffix === undefined || r.name.endsWith(nameSuffix)));
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${nameSuffix ? ` named *${nameSuffix}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
  }
  return found[0];
}

async function runProgramOnce(stack: string, overrides: Record<string, unknown>, preview: boolean, secrets: readonly string[]): Promise<ProgramRun> {
  const config: Record<string, unknown> = { ...stackConfig(stack) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete config[`${PROJECT}:${key}`];
    else config[`${PROJECT}:${key}`] = value;
  }
  const secretKeys = secrets.map((k) => `${PROJECT}:${k}`);
  const recording = await recordProgram(loadIndex, { stack, config, preview, secretKeys });
  const exports = recording.result;
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exports)) {
    outputs[key] = pulumi.Output.isInstance(value) ? await resolve(value) : value;
  }
  const restoreStacks = plainStackTraces();
  try {
    await settled(recording.resources);
  } finally {
    restoreStacks();
  }
  return { ...recording, outputs, exports };
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

/** The salt a `random.RandomBytes` named `name` has under these mocks (`base64`). */
export function mockedRandomBytes(name: string, length: number): string {
  return String(computedState("random:index/randomBytes:RandomBytes", name, { length }).base64);
}

/** Loads a serialized dynamic provider (a resource's `__provider` input) as Pulumi's dynamic-provider host does. */
export function loadSerializedProvider(text: string): pulumi.dynamic.ResourceProvider {
  const m = new Module("", undefined) as Module & { _compile(code: string, filename: string): void; paths: string[] };
  m.filename = "";
  m.paths = (Module as unknown as { _nodeModulePaths(from: string): string[] })._nodeModulePaths(".");
  m._compile(text, "");
  return (m.exports as { handler(): pulumi.dynamic.ResourceProvider }).handler();
}
