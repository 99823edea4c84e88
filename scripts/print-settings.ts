/**
 * Prints a stack's effective PostgreSQL settings and the rule, seed value or override behind each, plus the container
 * limits they were derived from and any capacity warnings. Needs neither the Pulumi CLI nor Docker:
 *
 *   npm run print-settings -- --stack prod
 *   npm run print-settings -- --stack dev --command    # the container's command line instead of the table
 */
import { parseArgs } from "node:util";
import { loadStackDefinition } from "../components/config/stack";
import { stackConfigSource } from "../components/config/stack-files";
import { formatBytes } from "../components/config/units";
import { formatSettingsTable, postgresCommand } from "../components/tuning";

function main(): number {
  const { values } = parseArgs({
    options: { stack: { type: "string", short: "s" }, command: { type: "boolean", default: false } },
  });
  if (!values.stack) {
    console.error("usage: npm run print-settings -- --stack <dev|prod> [--command]");
    return 2;
  }
  try {
    const { settings: s, tuning } = loadStackDefinition(stackConfigSource(values.stack));
    if (values.command) {
      console.log(postgresCommand(tuning.settings).join(" "));
      return 0;
    }
    console.log(
      `stack ${values.stack} (${s.containerEngine}): memory ${formatBytes(s.memoryLimitBytes)}, ${s.cpus} CPU, ${s.maxConnections} connections, ` +
        `shm ${formatBytes(s.shmSizeBytes)}, nofile ${s.nofileLimit}, PostgreSQL ${s.postgresMajor}, image ${s.serverImage}`,
    );
    console.log(formatSettingsTable(tuning.settings));
    for (const w of tuning.warnings) console.log(`warning: ${w}`);
    return 0;
  } catch (e) {
    console.error((e as Error).message);
    return 1;
  }
}

process.exitCode = main();
