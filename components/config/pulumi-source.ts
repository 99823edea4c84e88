import * as pulumi from "@pulumi/pulumi";
import { OBJECT_KEYS, type ConfigKey, type ConfigSource } from "./settings";

/**
 * A ConfigSource over `pulumi.Config`: scalar keys as the strings Pulumi stores, object keys parsed from JSON.
 * A malformed object value is reported like any other bad value, naming the key.
 */
export function pulumiConfigSource(config = new pulumi.Config()): ConfigSource {
  return {
    get(key: string): unknown {
      if (!OBJECT_KEYS.includes(key as ConfigKey)) return config.get(key);
      const raw = config.get(key);
      if (raw === undefined) return undefined;
      try {
        return JSON.parse(raw);
      } catch {
        return raw; // not JSON: handed on as the string it is, so validation names the key and the value
      }
    },
  };
}
