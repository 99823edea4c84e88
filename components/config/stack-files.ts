/**
 * Reads a stack's config the way the Pulumi CLI does, without the CLI, so that the tests and the command-line tools
 * (`print-settings`, `schema`) fail exactly where `pulumi preview` would, with the CLI's own messages.
 *
 * The rules, and where the CLI has them (pulumi/pulumi, read at v3.248.0, the version package.json pins; the
 * merge moved from sdk/go/common/workspace/config.go to pkg/workspace/config.go after it, unchanged):
 * - Pulumi.yaml's `config:` block (sdk/go/common/workspace/project.go `RewriteShorthandConfigValues`, `Validate`,
 *   `ValidateConfigValue`; project.json `configTypeDeclaration`): a bare value is shorthand for `default` (project
 *   keys) or `value` (other namespaces); a declaration has only type, items, description, secret, default, value;
 *   not both default and value; an array declares its items; a typed default has its type; a key of another
 *   namespace (`docker:host`) has a `value`, no type and no default.
 * - The stack file (sdk/go/common/workspace/loaders.go `LoadProjectStackBytes`, `stackConfigNamespacedWithProject`;
 *   sdk/go/common/resource/config/key.go `ParseKey`; object.go `unmarshalObject`): a key without a namespace is the
 *   project's; `ns:config:name` is the old spelling of `ns:name`; scalars are kept as strings, maps and lists as JSON
 *   text; `{ secure: ... }` is an encrypted value.
 * - The merge (config.go `mergeConfig`, `createConfigValue`, `validateStackConfigValues`,
 *   `missingStackConfigurationKeysError`): declared keys in sorted order; a key of the project's namespace that the
 *   stack does not set and that has neither default nor value is missing (typed or not), and all missing keys are
 *   reported together before any type check; defaults fill the rest; then every typed key is checked, first error
 *   wins. Keys the stack sets but the project does not declare pass through unchecked.
 *
 * What the program receives is what this returns: every value a string (the nodejs language host hands the
 * program `PULUMI_CONFIG`, a map of strings; objects and lists as JSON text).
 *
 * Known differences, none of which this project's files use: ESC environments (`environment:` in a stack file) and
 * path-style declarations (`a.b`) are refused with a message rather than resolved; encrypted values are not decrypted
 * (the tools refuse to read them, see `stackConfigSource`), so their types are not checked here; YAML 1.1 number
 * forms (`010` as octal, `1_000`) are read as YAML 1.2 (js-yaml's core schema) reads them. A stack without a stack
 * file is an error here (the CLI would run it with no stack config); for the tools a typo must not plan the defaults.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { configSourceFromStrings, type ConfigSource } from "./settings";

export const PROJECT = "crypto-scout-db";
/** Where Pulumi.yaml and the stack files are: the project root, two levels above this file. */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** A config key's declaration in Pulumi.yaml, after the CLI's shorthand rewrite. */
export interface ConfigDeclaration {
  readonly type?: "string" | "integer" | "boolean" | "array" | "object";
  readonly items?: ConfigItems;
  readonly description?: string;
  readonly secret?: boolean;
  readonly default?: unknown;
  readonly value?: unknown;
}
export interface ConfigItems {
  readonly type: "string" | "integer" | "boolean" | "array" | "object";
  readonly items?: ConfigItems;
}

/** A stack's config as the CLI hands it to the program: `namespace:key` to its string. */
export interface StackConfig {
  readonly values: Readonly<Record<string, string>>;
  /** Keys whose value is encrypted in the stack file (`pulumi config set --secret`); their value here is the ciphertext. */
  readonly secure: ReadonlySet<string>;
  /** The CLI's warning for keys written without a value (`key:`), which it treats as "". */
  readonly warnings: readonly string[];
}

/** A config file the Pulumi CLI would refuse. The message is the CLI's, prefixed as `pulumi preview` prints it. */
export class StackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackConfigError";
  }
}

const TYPES = ["string", "integer", "boolean", "array", "object"] as const;
const DECLARATION_ATTRIBUTES = ["type", "items", "description", "secret", "default", "value"];

function readYaml(file: string): unknown {
  // The core schema: YAML 1.2 scalars as the CLI's yaml.v3 reads them (no timestamps turned into dates).
  return yaml.load(fs.readFileSync(file, "utf8"), { schema: yaml.CORE_SCHEMA, filename: file });
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Whether a Pulumi.yaml config key belongs to the project (project.go `configKeyIsNamespacedByProject`). */
function namespacedByProject(key: string, project: string): boolean {
  return !key.includes(":") || key.startsWith(`${project}:`);
}

/** `key` as `namespace:name` (config.go `parseConfigKey`, key.go `ParseKey`). */
export function fullKey(key: string, project = PROJECT): string {
  const parts = key.split(":");
  if (parts.length === 1) return `${project}:${key}`;
  if (parts.length === 2) return key;
  if (parts.length === 3 && parts[1] === "config") return `${parts[0]}:${parts[2]}`;
  throw new StackConfigError(`could not parse ${key} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`);
}

/**
 * Pulumi.yaml's config declarations, keyed as written there, validated as the CLI validates them on loading the
 * project. Throws a StackConfigError with the CLI's message.
 */
export function loadDeclarations(dir = PROJECT_DIR): { project: string; declarations: Record<string, ConfigDeclaration> } {
  const file = path.join(dir, "Pulumi.yaml");
  const project = readYaml(file);
  if (!isMap(project) || typeof project.name !== "string") throw new StackConfigError(`${file}: a project needs a name`);
  const name = project.name;
  const config = project.config ?? {};
  if (!isMap(config)) throw new StackConfigError(`could not validate '${file}': #/config: expected object`);
  const out: Record<string, ConfigDeclaration> = {};
  for (const [key, raw] of Object.entries(config)) {
    const ownKey = namespacedByProject(key, name);
    let decl: ConfigDeclaration;
    if (isMap(raw)) {
      const extra = Object.keys(raw).filter((a) => !DECLARATION_ATTRIBUTES.includes(a));
      if (extra.length > 0) throw new StackConfigError(`could not validate '${file}': #/config/${key}: additionalProperties '${extra.join("', '")}' not allowed`);
      if (raw.type !== undefined && !TYPES.includes(raw.type as (typeof TYPES)[number])) {
        throw new StackConfigError(`could not validate '${file}': #/config/${key}/type: value must be one of ${TYPES.map((t) => `"${t}"`).join(", ")}`);
      }
      decl = raw as ConfigDeclaration;
    } else if (raw === null || raw === undefined || (typeof raw === "number" && !Number.isInteger(raw))) {
      // project.json's simpleConfigType: string, integer, boolean or array.
      throw new StackConfigError(`could not validate '${file}': #/config/${key}: expected string, integer, boolean, array or object`);
    } else {
      // RewriteShorthandConfigValues: a bare value is the project key's default, another namespace's value.
      decl = ownKey ? { default: raw } : { value: raw };
    }
    // project.go Validate.
    if (decl.default !== undefined && decl.value !== undefined) {
      throw new StackConfigError(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
    }
    if (ownKey) {
      if (decl.type === "array" && decl.items === undefined) {
        throw new StackConfigError(`The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`);
      }
      if (decl.type !== undefined && decl.default !== undefined && !validateConfigValue(decl.type, decl.items, decl.default)) {
        throw new StackConfigError(`The default value specified for configuration key '${key}' is not of the expected type '${fullTypeName(decl.type, decl.items)}'`);
      }
    } else {
      if (decl.type !== undefined) throw new StackConfigError(`Configuration key '${key}' is not namespaced by the project and should not define a type`);
      if (decl.default !== undefined) {
        throw new StackConfigError(
          `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`,
        );
      }
      if (decl.value === undefined) throw new StackConfigError(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
    }
    if (key.includes(".") || key.includes("[")) {
      throw new StackConfigError(`${file}: config key '${key}' is a path into an object value; this loader does not read those (declare the object key instead)`);
    }
    out[key] = decl;
  }
  return { project: name, declarations: out };
}

/** The project's declarations keyed without this project's namespace, for tests and documentation checks. */
export function projectDeclarations(dir = PROJECT_DIR): Record<string, ConfigDeclaration> {
  const out: Record<string, ConfigDeclaration> = {};
  for (const [key, decl] of Object.entries(loadDeclarations(dir).declarations)) out[key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : key] = decl;
  return out;
}

/** project.go `ValidateConfigValue`: a value (a string from a stack file, or a parsed default) against a type. */
export function validateConfigValue(type: string, items: ConfigItems | undefined, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      if (typeof value === "number") return Number.isInteger(value);
      // Go's strconv.Atoi: optional sign, decimal digits, within int64.
      return typeof value === "string" && /^[+-]?\d+$/.test(value) && BigInt(value) >= -(2n ** 63n) && BigInt(value) < 2n ** 63n;
    case "boolean":
      return value === true || value === false || value === "true" || value === "false";
    case "object":
      return isMap(value);
    default:
      return Array.isArray(value) && items !== undefined && value.every((item) => validateConfigValue(items.type, items.items, item));
  }
}

/** project.go `InferFullTypeName`: `array<array<string>>`. */
function fullTypeName(type: string, items: ConfigItems | undefined): string {
  return type === "array" && items ? `array<${fullTypeName(items.type, items.items)}>` : type;
}

/** JSON with map keys sorted, as Go's json.Marshal writes the object values the CLI stores. */
function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(",")}]`;
  if (isMap(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${goJson(value[k])}`).join(",")}}`;
  return JSON.stringify(value === undefined ? null : value);
}

/** A stack-file value as the CLI stores it (object.go): [the string the program gets, whether it is an object]. */
function stackValue(value: unknown): { text: string; object: boolean } {
  if (value === null || value === undefined) return { text: "", object: false };
  if (typeof value === "string") return { text: value, object: false };
  if (typeof value === "boolean" || typeof value === "number") return { text: String(value), object: false };
  return { text: goJson(value), object: true };
}

/**
 * A declared default or value as the CLI fills it in (config.go `createConfigValue`): strings, whole numbers and
 * booleans as their text; anything else as JSON.
 */
function defaultValue(value: unknown): { text: string; object: boolean } {
  if (typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isInteger(value))) return { text: String(value), object: false };
  return { text: goJson(value), object: true };
}

/**
 * The stack's config as the CLI hands it to the program: Pulumi.yaml's declarations merged with
 * `Pulumi.<stack>.yaml`, checked with the CLI's rules. Throws a StackConfigError with the CLI's message where
 * `pulumi preview` would stop.
 */
export function loadStackConfig(stack: string, dir = PROJECT_DIR): StackConfig {
  const { project, declarations } = loadDeclarations(dir);
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    const known = fs.readdirSync(dir).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f)).map((f) => f.split(".")[1]);
    throw new Error(`No stack file ${path.basename(file)}; known stacks: ${known.join(", ") || "none"}.`);
  }
  const doc = readYaml(file) ?? {};
  if (!isMap(doc)) throw new StackConfigError(`${file}: expected a map with a 'config' key`);
  if (doc.environment !== undefined) {
    throw new StackConfigError(`${file}: 'environment' (Pulumi ESC) is not read by this loader; put the values in the stack file's config`);
  }
  const entries = doc.config ?? {};
  if (!isMap(entries)) throw new StackConfigError(`${file}: 'config' must be a map`);

  const values: Record<string, string> = {};
  const objects = new Set<string>();
  const secure = new Set<string>();
  const empty: string[] = [];
  for (const [key, raw] of Object.entries(entries)) {
    const k = fullKey(key, project);
    if (isMap(raw) && Object.keys(raw).length === 1 && typeof raw.secure === "string") {
      values[k] = raw.secure;
      secure.add(k);
      continue;
    }
    if (raw === null || raw === undefined) empty.push(key);
    const v = stackValue(raw);
    values[k] = v.text;
    if (v.object) objects.add(k);
  }
  // loaders.go checkForEmptyConfig.
  const warnings = empty.length === 0 ? [] : [
    `No value for configuration key${empty.length > 1 ? "s" : ""} ${empty.length === 2 ? `"${empty[0]}" and "${empty[1]}"` : empty.map((k) => `"${k}"`).join(", ")}. This is currently treated as an empty string \`""\`, but will be treated as \`null\` in a future version of pulumi.\n` +
      `Set the value${empty.length > 1 ? "s" : ""} to \`""\` to avoid this warning.`,
  ];

  // config.go mergeConfig: declared keys in sorted order.
  const missing: string[] = [];
  for (const key of Object.keys(declarations).sort()) {
    const decl = declarations[key];
    const k = fullKey(key, project);
    if (k in values) continue;
    const fill = decl.default !== undefined ? decl.default : decl.value;
    if (fill === undefined) {
      if (k.startsWith(`${project}:`)) missing.push(key);
      continue;
    }
    const v = defaultValue(fill);
    values[k] = v.text;
    if (v.object) objects.add(k);
  }
  if (missing.length > 0) {
    throw new StackConfigError(
      `validating stack config: Stack '${stack}' is missing configuration value${missing.length > 1 ? "s" : ""} ${listKeys(missing.sort())}`,
    );
  }
  // config.go validateStackConfigValues: typed keys, sorted, first error.
  for (const key of Object.keys(declarations).sort()) {
    const decl = declarations[key];
    const k = fullKey(key, project);
    if (!(k in values)) continue;
    if (decl.secret && !secure.has(k)) {
      throw new StackConfigError(`validating stack config: Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`);
    }
    if (decl.type === undefined || secure.has(k)) continue;
    const value = objects.has(k) ? JSON.parse(values[k]) : values[k];
    if (!validateConfigValue(decl.type, decl.items, value)) {
      throw new StackConfigError(`validating stack config: Stack '${stack}' with configuration key '${key}' must be of type '${fullTypeName(decl.type, decl.items)}'`);
    }
  }
  return { values, secure, warnings };
}

/** config.go `formatMissingKeys`: `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`. */
function listKeys(keys: string[]): string {
  const q = keys.map((k) => `'${k}'`);
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(", ")} and ${q[q.length - 1]}`;
}

/** The stack's config values, `namespace:key` to the string the program receives. */
export function stackConfig(stack: string, dir = PROJECT_DIR): Record<string, string> {
  return { ...loadStackConfig(stack, dir).values };
}

/**
 * A ConfigSource over the stack's files, for `loadSettings`: the same strings `pulumi.Config` gives the program.
 * An encrypted value cannot be read without the stack's secrets provider: reading one is an error that says so.
 */
export function stackConfigSource(stack: string, dir = PROJECT_DIR): ConfigSource {
  const { values, secure } = loadStackConfig(stack, dir);
  const prefix = `${PROJECT}:`;
  return configSourceFromStrings(
    (key) => {
      const k = `${prefix}${key}`;
      if (secure.has(k)) throw new StackConfigError(`config '${key}' of stack '${stack}' is encrypted; this tool cannot decrypt it (pass the value on the command line instead)`);
      return values[k];
    },
    () => Object.keys(values).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)),
    { isSecret: (key) => secure.has(`${prefix}${key}`), isEncrypted: (key) => secure.has(`${prefix}${key}`), stack },
  );
}
