import * as pulumi from "@pulumi/pulumi";
import { configSourceFromStrings, type ConfigSource } from "./settings";

/**
 * Whether the CLI says `key` is a secret. The node language host always hands the program the list of secret keys
 * (PULUMI_CONFIG_SECRET_KEYS: pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go execRuntime 906-914), and
 * the SDK answers from it with `runtime.isConfigSecret` (sdk/nodejs/runtime/config.ts; marked @internal, so it is
 * missing from the typings). An SDK without it: unknown, never "not secret".
 */
function isConfigSecret(fullKey: string): boolean | undefined {
  const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  return typeof fn === "function" ? fn(fullKey) : undefined;
}

/** A ConfigSource over `pulumi.Config`: the strings the CLI hands the program, object keys parsed from JSON. */
export function pulumiConfigSource(config = new pulumi.Config()): ConfigSource {
  const prefix = `${config.name}:`;
  return configSourceFromStrings(
    (key) => config.get(key),
    () => Object.keys(pulumi.runtime.allConfig()).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)),
    { isSecret: (key) => isConfigSecret(`${prefix}${key}`), stack: pulumi.getStack() },
  );
}
