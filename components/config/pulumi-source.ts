import * as pulumi from "@pulumi/pulumi";
import { configSourceFromStrings, type ConfigSource } from "./settings";

/** A ConfigSource over `pulumi.Config`: the strings the CLI hands the program, object keys parsed from JSON. */
export function pulumiConfigSource(config = new pulumi.Config()): ConfigSource {
  const prefix = `${config.name}:`;
  return configSourceFromStrings(
    (key) => config.get(key),
    () => Object.keys(pulumi.runtime.allConfig()).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)),
  );
}
