/**
 * Prints a stack's effective PostgreSQL settings and the rule, seed value or override behind each, plus the container
 * limits they were derived from and any capacity warnings (for an external stack, that it has none to print). Needs neither
 * the Pulumi CLI nor Docker:
 *
 *   npm run print-settings -- --stack prod
 *   npm run print-settings -- --stack dev --command    # the container's command line instead of the table
 */
import { parseArgs } from "node:util";
import { loadStackDefinition } from "../components/config/stack";
import { stackConfigSource } from "../components/config/stack-files";
import { stackNeighbours } from "../components/config/stack-clash";
import { formatBytes } from "../components/config/units";
import { formatSettingsTable, postgresCommand } from "../components/tuning";

/** Runs the tool over `argv`; `dir` holds Pulumi.yaml and the stack files. Returns the exit code. */
export function main(argv = process.argv.slice(2), dir?: string, out: (line: string) => void = console.log, err: (line: string) => void = console.error): number {
  const console = { log: out, error: err };
  const { values } = parseArgs({
    args: argv,
    options: { stack: { type: "string", short: "s" }, command: { type: "boolean", default: false } },
  });
  if (!values.stack) {
    console.error("usage: npm run print-settings -- --stack <dev|prod> [--command]");
    return 2;
  }
  try {
    const { settings: s, tuning } = loadStackDefinition(stackConfigSource(values.stack, dir), stackNeighbours(values.stack, dir));
    if (s.external) {
      // External mode: the server is someone else's (Tiger Cloud, a platform team's); its settings are theirs.
      console.log(
        `stack ${values.stack}: external server (databaseUrl${s.external.connection ? ` ${s.external.connection.user}@${s.external.connection.host}:${s.external.connection.port}/${s.external.connection.database}` : ", encrypted in the stack file"}), TLS ${s.external.tlsDescription}.\n` +
          "The container tuning does not apply: no container is created, and the server's settings are its service's (Tiger Cloud: sized by the service's compute plan).",
      );
      return 0;
    }
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

if (require.main === module) process.exitCode = main();
