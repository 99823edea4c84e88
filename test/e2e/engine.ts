/**
 * What the end-to-end test needs from the machine it runs on: the Pulumi CLI and a container engine (Docker, or
 * rootless Podman with its Docker-compatible socket), chosen with E2E_ENGINE. `missingPrerequisite` says, in one
 * line, what is missing; `run.ts` turns that into the skip line. No shell is involved anywhere: every command runs with
 * execFile and an argument list.
 */
import { execFile } from "node:child_process";
import * as http from "node:http";
import * as os from "node:os";

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

/** Runs `cmd args...` without a shell; resolves with its output, rejects with an ExecError. */
export function exec(
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      [...args],
      { env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 0, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr });
          return;
        }
        const e = error as ExecError;
        e.stdout = stdout;
        e.stderr = stderr;
        e.message = `${cmd} ${args.join(" ")} failed: ${lastLine(stderr) || lastLine(stdout) || error.message}`;
        reject(e);
      },
    );
  });
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

/** Whether Podman runs under systemd, which is what runs its health checks (transient timers). */
export async function podmanHasSystemd(): Promise<boolean> {
  try {
    const { stdout } = await exec("podman", ["info", "--format", "{{.Host.CgroupManager}}"], { timeoutMs: 60_000 });
    return stdout.trim() === "systemd";
  } catch {
    return false;
  }
}

/**
 * What keeps the end-to-end test from running here, as one short phrase; undefined when everything is in place:
 * the `pulumi` CLI on PATH, the engine's CLI on PATH, and the engine reachable (`docker info`; for Podman `podman info`
 * and a ping of the Docker-API socket the provider will use).
 */
export async function missingPrerequisite(engine: EngineName, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  try {
    await exec("pulumi", ["version"], { env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" }, timeoutMs: 60_000 });
  } catch (e) {
    return isNotFound(e) ? "pulumi CLI not found on PATH" : `pulumi CLI does not run (${(e as Error).message})`;
  }
  try {
    await exec(engine, ["--version"], { env, timeoutMs: 60_000 });
  } catch (e) {
    return isNotFound(e) ? `${engine} CLI not found on PATH` : `${engine} CLI does not run (${(e as Error).message})`;
  }
  if (engine === "docker") {
    try {
      await exec("docker", ["info", "--format", "{{.ServerVersion}}"], { env, timeoutMs: 60_000 });
    } catch (e) {
      return `Docker engine not reachable (${(e as Error).message})`;
    }
    return undefined;
  }
  try {
    await exec("podman", ["info", "--format", "{{.Version.Version}}"], { env, timeoutMs: 60_000 });
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
