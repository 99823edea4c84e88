/**
 * The capacity checks (checks.ts) over a server's command line as it is deployed, for readers that see only the
 * container (the policy pack, policy/policies.ts): `postgres -c name=value ...` becomes the settings map `runChecks`
 * reads, and the container's limits its `CheckInput`. No arithmetic of its own: every number comes from `runChecks`.
 */
import { runChecks, TuningError, type CheckInput, type CheckResult, type SettingValue } from "./checks";

/** The `source` of every setting read from a command line (it appears in the checks' messages). */
export const COMMAND_LINE = "command line";

/**
 * postgres's short options that set a setting the checks read (src/backend/postmaster/postmaster.c PostmasterMain:
 * -B shared_buffers, -N max_connections, -S work_mem). The other short options set nothing the checks read.
 */
const SHORT_OPTIONS: Readonly<Record<string, string>> = { B: "shared_buffers", N: "max_connections", S: "work_mem" };

/**
 * The settings a `postgres` command line sets, by lower-case name (PostgreSQL matches names case-insensitively, and
 * ParseLongOption turns "-" into "_"), the last occurrence winning as it does for the postmaster. Reads
 * `-c name=value`, `-cname=value`, `--name=value` and -B/-N/-S; other arguments are skipped. Throws a TuningError when
 * `command` is not a postgres command line or an option lacks its value (postgres exits with "-c name requires a
 * value").
 */
export function commandLineSettings(command: readonly string[]): Map<string, SettingValue> {
  const program = command[0];
  if (typeof program !== "string" || program.split("/").pop() !== "postgres") {
    throw new TuningError(`the command ${JSON.stringify(command.slice(0, 3))} does not run postgres; expected ["postgres", "-c", "name=value", ...]`);
  }
  const settings = new Map<string, SettingValue>();
  const set = (option: string, assignment: string | undefined) => {
    const eq = assignment?.indexOf("=") ?? -1;
    if (assignment === undefined || eq <= 0) throw new TuningError(`postgres ${option} requires name=value, got ${JSON.stringify(assignment ?? null)}`);
    settings.set(assignment.slice(0, eq).toLowerCase().replace(/-/g, "_"), { value: assignment.slice(eq + 1), source: COMMAND_LINE });
  };
  for (let i = 1; i < command.length; i++) {
    const arg = command[i];
    if (arg === "-c") set("-c", command[++i]);
    else if (arg.startsWith("--")) set("--", arg.slice(2));
    else if (arg.startsWith("-c")) set("-c", arg.slice(2));
    else if (arg.length >= 2 && arg[0] === "-" && SHORT_OPTIONS[arg[1]]) {
      const value = arg.length > 2 ? arg.slice(2) : command[++i];
      if (value === undefined) throw new TuningError(`postgres ${arg} requires a value`);
      settings.set(SHORT_OPTIONS[arg[1]], { value, source: COMMAND_LINE });
    }
  }
  return settings;
}

/**
 * Runs the capacity checks over a deployed command line and the container's limits: `runChecks` on
 * `commandLineSettings(command)`. Throws a TuningError when the command line is not one, when it leaves out a setting
 * the checks read (the image's postgresql.conf, which would supply it, is not visible to such readers), or when a value
 * is unparseable.
 */
export function checkCommandLine(command: readonly string[], input: CheckInput): CheckResult {
  const settings = new ReadTracker(commandLineSettings(command));
  try {
    return runChecks(settings, input);
  } catch (e) {
    // A setting the checks need and have no default for fails on the read that missed it, so a miss as the last read
    // names it; any other failure (an unparseable value) happens after a read that found its value.
    if (e instanceof TuningError && settings.lastMiss !== undefined) {
      throw new TuningError(`${settings.lastMiss} is not set on the command line; the capacity checks need it`);
    }
    throw e;
  }
}

/** The settings map, remembering whether the last read found its setting. */
class ReadTracker extends Map<string, SettingValue> {
  lastMiss: string | undefined;

  override get(name: string): SettingValue | undefined {
    const value = super.get(name);
    this.lastMiss = value === undefined ? name : undefined;
    return value;
  }
}
