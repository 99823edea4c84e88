import * as pulumi from "@pulumi/pulumi";
import { configSourceFromStrings, type ConfigSource } from "./settings";

/** A ConfigSource over `pulumi.Config`: the strings the CLI hands the program, object keys parsed from JSON. */
export function pulumiConfigSource(config = new pulumi.Config()): ConfigSource {
  return configSourceFromStrings((key) => config.get(key));
}
