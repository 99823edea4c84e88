/**
 * What the end-to-end test needs from the machine it runs on: the Pulumi CLI and a container engine (Docker, or
 * rootless Podman with its Docker-compatible socket), chosen with E2E_ENGINE. `missingPrerequisite` says, in one
 * line, what is missing; `run.ts` turns that into the skip line. `engineFacts`/`engineProblem` say which engine this is
 * and whether the test was written for it. No shell is involved anywhere: every command runs with execFile and an
 * argument list, and every command, and every Pulumi operation (`withDeadline`), is bounded by a timeout whose failure
 * names the step, so a hung engine or CLI fails the step instead of running into the CI job's limit.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";

export type EngineName = "docker" | "podman";

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A failed command: the message names it and its last line of stderr (where CLIs put the error); output attached. */
export interface ExecError extends Error {
  code?: number | string;
  stdout?: string;
  stderr?: string;
}

/** Where a bounded call stands: a step name a reader finds in the log, and how long it may take. */
export interface Bound {
  /** What the call is for, as the failure names it: "step 8: on-demand backup", "cleanup: remove volume x". */
  readonly step: string;
  readonly timeoutMs: number;
}

/** After the deadline: SIGTERM, then this long before SIGKILL, then this long again before giving up on the exit. */
const KILL_GRACE_MS = 5_000;

/**
 * Runs `cmd args...` without a shell; resolves with its output, rejects with an ExecError. Every call is bounded: at
 * `timeoutMs` the command gets SIGTERM, 5 s later SIGKILL, and the promise rejects naming `step` even when the process
 * never exits or a grandchild keeps its output open (execFile's own timeout waits for both, so a `podman exec` that
 * ignores SIGTERM would hang it).
 */
export function exec(
  cmd: string,
  args: readonly string[],
  opts: Bound & { env?: NodeJS.ProcessEnv; cwd?: string; /** @default 5000 */ killGraceMs?: number },
): Promise<ExecResult> {
  const grace = opts.killGraceMs ?? KILL_GRACE_MS;
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      fn();
    };
    const timeoutError = (): ExecError => {
      const e: ExecError = new Error(`${opts.step}: ${cmd} ${args.join(" ")} did not finish within ${seconds(opts.timeoutMs)} (killed)`);
      e.code = "ETIMEDOUT";
      return e;
    };
    const child = execFile(
      cmd,
      [...args],
      { env: opts.env ?? process.env, cwd: opts.cwd, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        settle(() => {
          if (timedOut) {
            const e = timeoutError();
            e.stdout = stdout;
            e.stderr = stderr;
            reject(e);
            return;
          }
          if (!error) {
            resolve({ stdout, stderr });
            return;
          }
          const e = error as ExecError;
          e.stdout = stdout;
          e.stderr = stderr;
          e.message = `${opts.step}: ${cmd} ${args.join(" ")} failed: ${lastLine(stderr) || lastLine(stdout) || error.message}`;
          reject(e);
        });
      },
    );
    timers.push(
      setTimeout(() => {
        timedOut = true;
        child.kill("SIGTERM");
        timers.push(setTimeout(() => child.kill("SIGKILL"), grace));
        timers.push(setTimeout(() => settle(() => reject(timeoutError())), 2 * grace));
      }, opts.timeoutMs),
    );
  });
}

/** How long a Pulumi operation gets to cancel after the first SIGINT before it is sent the second (terminate). */
export const PULUMI_CANCEL_GRACE_MS = 60_000;

/**
 * Bounds a Pulumi Automation API call. `fn` gets an AbortSignal for the operations that take one (up, preview,
 * refresh, destroy): at `timeoutMs` it aborts, and the Automation API sends the CLI SIGINT
 * (@pulumi/pulumi automation/cmd.js, exec: `signal.addEventListener("abort", () => proc.kill("SIGINT"))`), which the
 * CLI takes as "cancel" and finishes the resource operations under way (pulumi/pulumi v3.248.0
 * pkg/backend/cancellation_scope.go: the first SIGINT cancels, a second one terminates). If the call has not settled
 * PULUMI_CANCEL_GRACE_MS later, every `pulumi` process this process started gets the second SIGINT, and the promise
 * rejects naming `step`. Workspace calls (config, stack select/rm) take no signal: they are ended the same way.
 */
export function withDeadline<T>(bound: Bound, fn: (signal: AbortSignal) => Promise<T>, graceMs = PULUMI_CANCEL_GRACE_MS): Promise<T> {
  const controller = new AbortController();
  let cancelTimer: NodeJS.Timeout | undefined;
  let giveUpTimer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    cancelTimer = setTimeout(() => {
      console.error(`e2e: ${bound.step}: no result within ${seconds(bound.timeoutMs)}; cancelling (SIGINT)`);
      controller.abort(new Error(`${bound.step}: timed out`));
      giveUpTimer = setTimeout(() => {
        for (const pid of childPids("pulumi")) signalPid(pid, "SIGINT");
        reject(new Error(`${bound.step}: did not finish within ${seconds(bound.timeoutMs)} (cancelled, then terminated ${seconds(graceMs)} later)`));
      }, graceMs);
    }, bound.timeoutMs);
  });
  const work = fn(controller.signal);
  return Promise.race([work, deadline]).finally(() => {
    clearTimeout(cancelTimer);
    clearTimeout(giveUpTimer);
    // A call that lost the race may still reject later: keep that from surfacing as an unhandled rejection.
    work.catch(() => undefined);
  });
}

/**
 * The pids of this process's direct children whose command name is `comm`, from /proc/<pid>/stat (field 4 is the
 * parent pid; the name, in parentheses, may itself hold spaces or parentheses, so the fields are read after the last
 * `)`). Empty where there is no /proc.
 */
export function childPids(comm: string, parent = process.pid): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    if (open < 0 || close < open) continue;
    const name = stat.slice(open + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    if (ppid === parent && name === comm) pids.push(Number(entry));
  }
  return pids;
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** A duration as the messages say it: "90 s", "10 min". */
export function seconds(ms: number): string {
  return ms >= 120_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

/** True when the command itself does not exist (spawn ENOENT). */
export function isNotFound(e: unknown): boolean {
  return (e as ExecError | undefined)?.code === "ENOENT";
}

export function lastLine(text: string | undefined): string {
  return (text ?? "").trim().split("\n").pop()?.trim() ?? "";
}

/** The engine to test against: E2E_ENGINE, `docker` (default) or `podman`. Anything else is a mistake, not a skip. */
export function engineFromEnv(env: NodeJS.ProcessEnv = process.env): EngineName {
  const raw = env.E2E_ENGINE?.trim().toLowerCase() || "docker";
  if (raw !== "docker" && raw !== "podman") {
    throw new Error(`E2E_ENGINE must be docker or podman, got ${JSON.stringify(env.E2E_ENGINE)}`);
  }
  return raw;
}

/**
 * The Docker API endpoint the docker provider must use: DOCKER_HOST when set; for Podman otherwise the rootless user
 * socket `unix://$XDG_RUNTIME_DIR/podman/podman.sock`; for Docker otherwise undefined (the provider's default,
 * unix:///var/run/docker.sock).
 */
export function dockerHost(engine: EngineName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  if (engine === "docker") return undefined;
  const runtimeDir = env.XDG_RUNTIME_DIR || `/run/user/${os.userInfo().uid}`;
  return `unix://${runtimeDir}/podman/podman.sock`;
}

/** What the engine says about itself: printed first by the e2e, and checked against what the test was written for. */
export interface EngineFacts {
  readonly engine: EngineName;
  /** Docker: the server's version (`docker info` ServerVersion); Podman: `podman info` version.Version. */
  readonly version: string;
  /** Docker: CgroupDriver; Podman: host.cgroupManager. `systemd` or `cgroupfs`. */
  readonly cgroupManager: string;
  /** `1` or `2` (Docker says "2", Podman "v2"). */
  readonly cgroupVersion: string;
}

const INFO_STEP = (engine: EngineName) => `preflight: ${engine} info`;

/**
 * `docker info --format '{{json .}}'` (ServerVersion, CgroupDriver, CgroupVersion: moby api/types/system Info) or
 * `podman info --format json` (version.Version, host.cgroupManager, host.cgroupVersion: Podman's define.Info).
 */
export async function engineFacts(engine: EngineName, env: NodeJS.ProcessEnv = process.env): Promise<EngineFacts> {
  if (engine === "docker") {
    const { stdout } = await exec("docker", ["info", "--format", "{{json .}}"], { env, step: INFO_STEP(engine), timeoutMs: 60_000 });
    const info = JSON.parse(stdout) as { ServerVersion?: string; CgroupDriver?: string; CgroupVersion?: string };
    return { engine, version: info.ServerVersion ?? "", cgroupManager: info.CgroupDriver ?? "", cgroupVersion: String(info.CgroupVersion ?? "").replace(/^v/, "") };
  }
  const { stdout } = await exec("podman", ["info", "--format", "json"], { env, step: INFO_STEP(engine), timeoutMs: 60_000 });
  const info = JSON.parse(stdout) as { version?: { Version?: string }; host?: { cgroupManager?: string; cgroupVersion?: string } };
  return {
    engine,
    version: info.version?.Version ?? "",
    cgroupManager: info.host?.cgroupManager ?? "",
    cgroupVersion: String(info.host?.cgroupVersion ?? "").replace(/^v/, ""),
  };
}

/**
 * The engines this test was written and checked against, by major version, with the cgroup managers it handles. The
 * runner images (actions/runner-images images/ubuntu/Ubuntu2404-Readme.md and Ubuntu2604-Readme.md, August 2026):
 * ubuntu-24.04 has Docker 28.0.4 and Podman 5.8.4, the mgoltzsche/podman-static bundle
 * (images/ubuntu/scripts/build/install-container-tools.sh), built without systemd support and configured with
 * `cgroup_manager = "cgroupfs"` (podman-static conf/containers/containers.conf); ubuntu-26.04 has Docker 29.4.2 and
 * Ubuntu's own Podman 5.7.0, which uses systemd. Podman 4.9 is Ubuntu 24.04's own package. Under cgroupfs Podman runs
 * no health checks (they are systemd timers), and the test then checks running + pg_isready instead (see the e2e).
 * A new major version (a runner image update) fails the run in seconds rather than somewhere in a 45-minute job.
 */
export const WRITTEN_FOR: Readonly<Record<EngineName, { readonly majors: readonly number[]; readonly minimum: string; readonly cgroupManagers: readonly string[] }>> = {
  // 20.10 is the first Docker with cgroup v2 (moby 20.10 release notes); after it came 23.0.
  docker: { majors: [20, 23, 24, 25, 26, 27, 28, 29], minimum: "20.10.0", cgroupManagers: ["systemd", "cgroupfs"] },
  podman: { majors: [4, 5], minimum: "4.9.0", cgroupManagers: ["systemd", "cgroupfs"] },
};

/** Why the test was not written for this engine, or undefined when it was. */
export function engineProblem(facts: EngineFacts): string | undefined {
  const want = WRITTEN_FOR[facts.engine];
  const version = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(facts.version);
  const range = `${facts.engine} ${want.minimum} to ${Math.max(...want.majors)}.x`;
  if (!version) return `${facts.engine} reports version ${JSON.stringify(facts.version)}; the e2e was written for ${range}`;
  const [major, minor, patch] = version.slice(1).map((n) => Number(n ?? 0));
  const [minMajor, minMinor, minPatch] = want.minimum.split(".").map(Number);
  const tooOld = major < minMajor || (major === minMajor && (minor < minMinor || (minor === minMinor && patch < minPatch)));
  if (tooOld || !want.majors.includes(major)) return `${facts.engine} ${facts.version}: the e2e was written for ${range}`;
  if (facts.cgroupVersion !== "2") return `${facts.engine} ${facts.version} runs on cgroup v${facts.cgroupVersion || "?"}; the e2e was written for cgroup v2`;
  if (!want.cgroupManagers.includes(facts.cgroupManager)) {
    return `${facts.engine} ${facts.version} has cgroup manager ${JSON.stringify(facts.cgroupManager)}; the e2e was written for ${want.cgroupManagers.join(" or ")}`;
  }
  return undefined;
}

/** One line for the log: `docker 28.0.4, cgroup manager systemd, cgroup v2`. */
export function describeEngine(facts: EngineFacts): string {
  return `${facts.engine} ${facts.version}, cgroup manager ${facts.cgroupManager || "?"}, cgroup v${facts.cgroupVersion || "?"}`;
}

/**
 * The Pulumi CLI version the program is built and tested against: the @pulumi/pulumi SDK pinned in package.json. The
 * workflow installs exactly this CLI from the same field (`pulumi-version` of pulumi/actions), so there is one place.
 */
export function pinnedPulumiVersion(packageJson = path.resolve(__dirname, "..", "..", "package.json")): string {
  const pkg = JSON.parse(fs.readFileSync(packageJson, "utf8")) as { dependencies?: Record<string, string> };
  const pin = pkg.dependencies?.["@pulumi/pulumi"] ?? "";
  if (!/^\d+\.\d+\.\d+$/.test(pin)) throw new Error(`package.json pins @pulumi/pulumi as ${JSON.stringify(pin)}; an exact version is expected`);
  return pin;
}

/** Why `pulumi version`'s output (`v3.248.0`) is not the pinned version, or undefined when it is. */
export function pulumiVersionProblem(cliOutput: string, pin: string): string | undefined {
  const cli = cliOutput.trim().replace(/^v/, "");
  return cli === pin ? undefined : `pulumi CLI is ${cli || "?"}, the SDK is pinned at ${pin} (package.json @pulumi/pulumi)`;
}

/** `pulumi version` of the CLI on PATH, without the v. */
export async function pulumiCliVersion(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await exec("pulumi", ["version"], { env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" }, step: "preflight: pulumi version", timeoutMs: 60_000 });
  return stdout.trim().replace(/^v/, "");
}

/**
 * What keeps the end-to-end test from running here, as one short phrase; undefined when everything is in place:
 * the `pulumi` CLI on PATH, the engine's CLI on PATH, and the engine reachable (`docker info`; for Podman `podman info`
 * and a ping of the Docker-API socket the provider will use).
 */
export async function missingPrerequisite(engine: EngineName, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  try {
    await pulumiCliVersion(env);
  } catch (e) {
    return isNotFound(e) ? "pulumi CLI not found on PATH" : `pulumi CLI does not run (${(e as Error).message})`;
  }
  return missingEngine(engine, env);
}

/** missingPrerequisite without the Pulumi CLI: the engine's CLI and the engine itself. */
export async function missingEngine(engine: EngineName, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  try {
    await exec(engine, ["--version"], { env, step: `preflight: ${engine} --version`, timeoutMs: 60_000 });
  } catch (e) {
    return isNotFound(e) ? `${engine} CLI not found on PATH` : `${engine} CLI does not run (${(e as Error).message})`;
  }
  if (engine === "docker") {
    try {
      await exec("docker", ["info", "--format", "{{.ServerVersion}}"], { env, step: "preflight: docker info", timeoutMs: 60_000 });
    } catch (e) {
      return `Docker engine not reachable (${(e as Error).message})`;
    }
    return undefined;
  }
  try {
    await exec("podman", ["info", "--format", "{{.Version.Version}}"], { env, step: "preflight: podman info", timeoutMs: 60_000 });
  } catch (e) {
    return `podman does not run (${(e as Error).message})`;
  }
  const host = dockerHost("podman", env) as string;
  const problem = await pingDockerApi(host);
  if (problem) return `Podman's Docker-API socket ${host} not reachable (${problem}; start it: systemctl --user start podman.socket)`;
  return undefined;
}

/**
 * `GET /_ping` on a Docker-API endpoint (unix:// or tcp://); undefined when it answers 200, else what went wrong.
 * Other schemes (ssh://) are not checked here.
 */
export function pingDockerApi(host: string, timeoutMs = 5000): Promise<string | undefined> {
  let target: http.RequestOptions;
  if (host.startsWith("unix://")) {
    target = { socketPath: host.slice("unix://".length) };
  } else if (host.startsWith("tcp://")) {
    const url = new URL(host.replace(/^tcp:/, "http:"));
    target = { host: url.hostname, port: Number(url.port || 2375) };
  } else {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const req = http.request({ ...target, path: "/_ping", method: "GET", timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? undefined : `GET /_ping answered HTTP ${res.statusCode}`);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on("error", (e) => resolve(e.message));
    req.end();
  });
}
