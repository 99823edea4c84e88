/**
 * Per-stack policy config: policy/config/<stack>.json, in the format of `pulumi preview --policy-pack-config` (policy
 * name to an enforcement level, or to an object of `enforcementLevel` and the policy's config properties). index.ts
 * hands the running stack's file to the PolicyPack as its initial config; the CLI lays it over the policies' schema
 * defaults, and a `--policy-pack-config` file over both (pulumi/pulumi pkg/resource/analyzer/config.go
 * ReconcilePolicyPackConfig). A stack without a file runs with the defaults.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyPackConfig } from "@pulumi/policy";

export const STACK_CONFIG_DIR = path.join(__dirname, "config");

/** The policy config of `stack` (empty when it has no file, or when `stack` is not a plain stack name). */
export function stackPolicyConfig(stack: string | undefined): PolicyPackConfig {
  // A stack's name, or a fully qualified one (organization/project/stack).
  const parts = stack?.split("/") ?? [];
  if ((parts.length !== 1 && parts.length !== 3) || !parts.every((p) => /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(p))) return {};
  const name = parts[parts.length - 1];
  const file = path.join(STACK_CONFIG_DIR, `${name}.json`);
  if (!fs.existsSync(file)) return {};
  const config: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new Error(`${file}: expected an object of policy name to enforcement level or config`);
  }
  return config as PolicyPackConfig;
}
