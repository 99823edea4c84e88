/**
 * Reads a stack's config the way the Pulumi CLI does, without the CLI: the project's declared defaults from
 * `Pulumi.yaml`, overlaid with `Pulumi.<stack>.yaml`. Used by the tests (to run the program under mocks with a stack's
 * real config) and by the command-line tools (`print-settings`, `schema`), which must work without Pulumi or Docker.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import type { ConfigSource } from "./settings";

export const PROJECT = "crypto-scout-db";
const PROJECT_DIR = path.resolve(__dirname, "..", "..");

interface ProjectFile {
  config?: Record<string, { default?: unknown } | unknown>;
}
interface StackFile {
  config?: Record<string, unknown>;
}

function readYaml<T>(file: string): T {
  return (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as T;
}

/** The project's config declarations: key (without namespace) to its declaration in Pulumi.yaml. */
export function projectDeclarations(dir = PROJECT_DIR): Record<string, { type?: string; default?: unknown; description?: string }> {
  const project = readYaml<ProjectFile>(path.join(dir, "Pulumi.yaml"));
  const out: Record<string, { type?: string; default?: unknown; description?: string }> = {};
  for (const [fullKey, decl] of Object.entries(project.config ?? {})) {
    out[stripNamespace(fullKey)] = (decl ?? {}) as { type?: string; default?: unknown; description?: string };
  }
  return out;
}

/**
 * The stack's config as the CLI hands it to the program: `crypto-scout-db:<key>` to value, declared defaults first,
 * then the stack file's values. Secure (encrypted) values are not supported here; this project keeps none in stack
 * files (passwords are generated).
 */
export function stackConfig(stack: string, dir = PROJECT_DIR): Record<string, unknown> {
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    const known = fs.readdirSync(dir).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f)).map((f) => f.split(".")[1]);
    throw new Error(`No stack file ${path.basename(file)}; known stacks: ${known.join(", ") || "none"}.`);
  }
  const values: Record<string, unknown> = {};
  for (const [key, decl] of Object.entries(projectDeclarations(dir))) {
    if (decl.default !== undefined) values[`${PROJECT}:${key}`] = decl.default;
  }
  for (const [fullKey, value] of Object.entries(readYaml<StackFile>(file).config ?? {})) {
    values[fullKey.includes(":") ? fullKey : `${PROJECT}:${fullKey}`] = value;
  }
  return values;
}

/** A ConfigSource over `stackConfig`, for `loadSettings`. */
export function stackConfigSource(stack: string, dir = PROJECT_DIR): ConfigSource {
  const values = stackConfig(stack, dir);
  return { get: (key) => values[`${PROJECT}:${key}`] };
}

function stripNamespace(key: string): string {
  return key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : key;
}
