/**
 * The policy pack: the seed's validation checklist (policies.ts), with the running stack's config from
 * policy/config/<stack>.json (config.ts). Run it with a preview or an update, from the repository root:
 *
 *   pulumi preview --stack dev --policy-pack policy
 *
 * How the Pulumi CLI loads this local TypeScript pack, and why `npm ci` at the root is all it needs. Read in
 * pulumi/pulumi at 1b5949891b3c (2026-08-21) and @pulumi/policy 1.21.0 (node_modules/@pulumi/policy):
 * - Nothing is installed for a local pack. `--policy-pack <dir>` goes to the engine's local-pack loader
 *   (pkg/engine/update.go loadPolicyPlugins, "Load local policy packs", and loadPolicyAnalyzer, which installs only a
 *   missing analyzer *plugin*), then pkg/resource/plugin/analyzer_plugin.go NewPolicyAnalyzer: it reads
 *   <dir>/PulumiPolicy.yaml (runtime: nodejs) and starts the pack through the nodejs language host; when that fails
 *   for want of @pulumi/pulumi it says "it looks like the policy pack's dependencies are not installed; try running
 *   npm install or yarn install in <dir>". A pack's dependencies are installed only by `pulumi install` run in the
 *   pack's directory (pkg/cmd/pulumi/install/install.go shouldInstallPolicyPackDependencies; not needed here) and, on
 *   the fly, for packs Pulumi Cloud requires (pkg/backend/httpstate/policypack.go installRequiredPolicy).
 * - The language host (sdk/nodejs/cmd/pulumi-language-nodejs/main.go RunPlugin) resolves
 *   `@pulumi/pulumi/cmd/run-policy-pack` with node's require.resolve from the pack directory (locateModule), so
 *   Node's resolution walks up from policy/ to the root's node_modules; @pulumi/policy, ts-node and typescript
 *   resolve the same way. It runs node in the pack directory, with PULUMI_NODEJS_STACK (the stack's name) and
 *   PULUMI_CONFIG in the environment, from the engine's StackConfigure call (the older pulumi-analyzer-policy shim set
 *   the same variables: pkg/resource/plugin/analyzer_plugin.go constructEnv).
 * - run-policy-pack (sdk/nodejs/cmd/run-policy-pack/run.ts) registers ts-node with typeCheck: true, reading
 *   tsconfig.json from the pack directory (hence policy/tsconfig.json), and require()s the directory: package.json's
 *   main, index.ts here.
 * - The pack needs its own package.json, for one field: @pulumi/policy's PolicyPack constructor reads
 *   `${process.cwd()}/package.json` and refuses to start without a version (policy.js). Its dependencies stay in the
 *   root package.json (@pulumi/policy pinned there, next to @pulumi/pulumi 3.248.0).
 * - Config: the CLI lays the policies' configSchema defaults, the pack's initial config (given here, reported by
 *   GetAnalyzerInfo) and a `--policy-pack-config` file over each other (pkg/resource/analyzer/config.go
 *   ReconcilePolicyPackConfig), and sends the result to the pack (Configure), whose getConfig() returns it.
 * - What a policy sees of resource options: proto/pulumi/analyzer.proto AnalyzerResourceOptions (protect,
 *   ignoreChanges, deleteBeforeReplace, additionalSecretOutputs, aliases, customTimeouts, parent), mapped by
 *   @pulumi/policy server.js getResourceOptions: no retainOnDelete (docs/policies.md).
 *
 * Never construct the PolicyPack anywhere else (tests import policies.ts): the constructor starts the gRPC server.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";
import { stackPolicyConfig } from "./config";

new PolicyPack(
  "crypto-scout-db",
  {
    policies,
    // The level of a policy that sets none; every policy here sets its own.
    enforcementLevel: "advisory",
    description: "crypto-scout-db's validation checklist: secrets as files, pinned images, exposure, capacity, observability, data lifecycle, backups, persistence.",
  },
  stackPolicyConfig(process.env.PULUMI_NODEJS_STACK ?? process.env.PULUMI_STACK),
);
