/**
 * What the docker provider reads back for each value we hand it, as data, in one place.
 *
 * Every create and every refresh ends in the provider's Read, which stores what the engine reports; the next
 * `pulumi up` compares our inputs with that. A value we send in another form than the one Read stores (`"2"` for a
 * CPU limit Docker reports as `"2.0"`) is a diff on every up, and on a field that forces a new resource, a
 * replacement of the database container each time. So each input is built in its read-back form (the helpers
 * below), and a test (test/read-back.test.ts) checks every recorded input of both stacks against these rules.
 *
 * Sources: kreuzwerker/terraform-provider-docker v4.5.0 (the release pulumi-docker 5.1 bridges; 5.2.0's extra
 * fields leave these reads unchanged), `internal/provider/`: schema in resource_docker_container.go, Read in
 * resource_docker_container_funcs.go `resourceDockerContainerRead` (line numbers below are that file's),
 * resource_docker_network_funcs.go `resourceDockerNetworkRead`, resource_docker_volume.go `resourceDockerVolumeRead`.
 * Podman: containers/podman v5, `pkg/api/handlers/compat/` (what its Docker-compatible API reports instead).
 */
import type { ContainerEngine } from "./docker-common";

export type DockerResource = "Container" | "Network" | "Volume" | "RemoteImage";

export interface ReadBackRule {
  readonly resource: DockerResource;
  /** The input's name in @pulumi/docker. */
  readonly field: string;
  /** What Read stores for it, in words, with our values as examples. */
  readonly readBack: string;
  /** Provider source that decides it. */
  readonly source: string;
  /** A difference replaces the resource (ForceNew) rather than updating it. */
  readonly replaces: boolean;
  /**
   * Whether the recorded input is already what Read stores. Called with undefined for an input we leave unset:
   * true where Read then stores nothing or a computed value that does not show as a change.
   */
  readonly inReadBackForm: (value: unknown) => boolean;
  /**
   * Under Podman's Docker-compatible API Read stores something else whatever we send: the field is ignored for
   * changes there (`ignoreChanges`), and changing it means replacing the resource by hand (docs/podman.md).
   */
  readonly podman?: { readonly readBack: string; readonly source: string };
}

/**
 * A CPU limit as the provider reads it back: Docker's NanoCPUs through `nanoInt64ToDecimalString` (helpers.go 133):
 * the exact value with 9 decimals, then, when that string holds exactly nine '0' characters, one decimal place, else
 * the trailing zeros trimmed. So 2 is "2.0", 1.5 is "1.5", 0.5 is "0.5", but 10 is "10." (ten zeros) and 20.05 is
 * "20.1" (rounded). The provider parses what we send with Docker's `opts.ParseCPUs` (big.Rat), which takes all of these.
 */
export function dockerCpus(cpus: number): string {
  const nanos = BigInt(Math.round(cpus * 1e9));
  if (nanos === 0n) return "0";
  const nine = `${nanos / 1_000_000_000n}.${(nanos % 1_000_000_000n).toString().padStart(9, "0")}`;
  if ((nine.match(/0/g) ?? []).length === 9) {
    // big.Rat FloatString(1): rounded half away from zero to one decimal.
    const tenths = (nanos + 50_000_000n) / 100_000_000n;
    return `${tenths / 10n}.${tenths % 10n}`;
  }
  return nine.replace(/0+$/, "");
}

/** Nanoseconds of a CPU string as Docker parses it (`opts.ParseCPUs`). */
function cpusNanos(value: string): bigint {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(value);
  if (!m) return -1n;
  const frac = (m[2] ?? "").padEnd(9, "0");
  return frac.length > 9 ? -1n : BigInt(m[1]) * 1_000_000_000n + BigInt(frac);
}

/** True when Docker keeps `cpus` as given: its read-back form parses to the same NanoCPUs. */
export function cpusRoundTrip(cpus: number): boolean {
  return cpusNanos(dockerCpus(cpus)) === BigInt(Math.round(cpus * 1e9));
}

/**
 * Whole seconds as Go's `time.Duration.String()` writes them, the form the healthcheck durations are read back in
 * (funcs.go 964-967): 10 is "10s", 60 is "1m0s", 90 is "1m30s", 3600 is "1h0m0s".
 */
export function goDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new RangeError(`goDuration: whole seconds, got ${seconds}`);
  if (seconds === 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/** Parses a Go duration of whole seconds ("1h0m0s", "90s", "1m30s"); NaN when it is not one. */
function goDurationSeconds(value: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!m || value === "") return NaN;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

const isGoDuration = (v: unknown) => typeof v === "string" && goDuration(goDurationSeconds(v)) === v;
const notRead = "not read: state keeps the input";
const always = () => true;
const wholeNumber = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0;
/** For an optional (or computed) field: unset converges too. */
const unsetOr = (check: (v: unknown) => boolean) => (v: unknown) => v === undefined || check(v);
const FUNCS = "resource_docker_container_funcs.go resourceDockerContainerRead";

export const READ_BACK_RULES: readonly ReadBackRule[] = [
  // The container.
  { resource: "Container", field: "name", readBack: "Docker's name without the leading '/'", source: `${FUNCS} 828`, replaces: true, inReadBackForm: (v) => typeof v === "string" && !v.startsWith("/") },
  {
    resource: "Container", field: "image", readBack: "when the input is an image id (sha256:...), the container's image id", source: `${FUNCS} 840-845`, replaces: true,
    inReadBackForm: (v) => typeof v === "string" && v.startsWith("sha256:"),
  },
  { resource: "Container", field: "command", readBack: "Config.Cmd, as sent", source: `${FUNCS} 849`, replaces: true, inReadBackForm: unsetOr((v) => Array.isArray(v) && v.every((a) => typeof a === "string")) },
  {
    resource: "Container", field: "entrypoints", readBack: "Config.Entrypoint, as sent; unset, the image's (computed)", source: `${FUNCS} 850; schema entrypoint ForceNew, Computed`, replaces: true,
    inReadBackForm: unsetOr((v) => Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === "string")),
    // Podman reports it as sent too (a one-element entrypoint stays one element: pkg/api/handlers/compat/
    // containers_create.go 203-204, pkg/specgenutil/specgen.go 555-561; reported from libpod/container.go
    // Entrypoint by compat containers.go 669), so no Podman exception.
  },
  { resource: "Container", field: "envs", readBack: notRead, source: `${FUNCS} 893-898 (comment: env is not read)`, replaces: true, inReadBackForm: always },
  { resource: "Container", field: "labels", readBack: notRead, source: `${FUNCS} 893-898`, replaces: true, inReadBackForm: always },
  { resource: "Container", field: "uploads", readBack: notRead, source: `${FUNCS} 959`, replaces: true, inReadBackForm: always },
  // The PITR sidecar's init process (sh as PID 1 would ignore the stop signal).
  { resource: "Container", field: "init", readBack: "HostConfig.Init, as sent (false when unset)", source: `${FUNCS} 860-868; resource_docker_container_funcs.go 447-448`, replaces: false, inReadBackForm: unsetOr((v) => typeof v === "boolean") },
  { resource: "Container", field: "volumes", readBack: notRead, source: `${FUNCS} 881-882 (only mounts are read)`, replaces: true, inReadBackForm: always },
  { resource: "Container", field: "networksAdvanced", readBack: "not read once set (filled only into an empty set)", source: `${FUNCS} 788-796`, replaces: true, inReadBackForm: always },
  {
    resource: "Container", field: "ports", readBack: "NetworkSettings.Ports: internal, external, ip, protocol; an unset ip is stored as 0.0.0.0, an unset protocol as tcp",
    source: "resource_docker_container_structures.go flattenContainerPorts 35-59; schema ip StateFunc", replaces: true,
    inReadBackForm: unsetOr((v) => Array.isArray(v) && v.every((p) => typeof p.ip === "string" && p.ip !== "" && typeof p.protocol === "string" && Number.isInteger(p.external))),
  },
  { resource: "Container", field: "shmSize", readBack: "HostConfig.ShmSize in whole MiB (1024 for 1 GiB); unset, Docker's 64 (computed)", source: `${FUNCS} 945`, replaces: true, inReadBackForm: unsetOr(wholeNumber) },
  {
    resource: "Container", field: "ulimits", readBack: "HostConfig.Ulimits as {name, soft, hard}, as sent", source: "resource_docker_container_structures.go flattenUlimits 454-465; funcs 887-891", replaces: true,
    inReadBackForm: unsetOr((v) => Array.isArray(v) && v.every((u) => typeof u.name === "string" && wholeNumber(u.soft) && wholeNumber(u.hard))),
    podman: { readBack: "names as RLIMIT_NOFILE, plus Podman's default RLIMIT_NPROC and containers.conf default_ulimits", source: "containers/podman v5.8.2 libpod/container_inspect.go 622-630 (from the started container's OCI spec), pkg/specgen/generate/oci.go 17-24" },
  },
  { resource: "Container", field: "memory", readBack: "HostConfig.Memory in whole MiB (8192)", source: `${FUNCS} 932`, replaces: false, inReadBackForm: unsetOr(wholeNumber) },
  {
    resource: "Container", field: "memorySwap", readBack: "HostConfig.MemorySwap in MiB; unset, Docker stores twice the memory limit (or -1 without swap accounting), so it is always sent, equal to memory: no swap",
    source: `${FUNCS} 940-944; moby daemon/daemon_unix.go adaptContainerSettings`, replaces: false, inReadBackForm: wholeNumber,
    podman: {
      readBack: "0 where the kernel has no memory.swap.max (rootless cgroup v1, no swap accounting): Podman drops the swap limit with a warning",
      source: "containers/podman v5.8.2 pkg/specgen/generate/validate_linux.go 179-205",
    },
  },
  {
    resource: "Container", field: "cpus", readBack: "HostConfig.NanoCPUs through nanoInt64ToDecimalString: 2 is \"2.0\", 1.5 is \"1.5\", 10 is \"10.\"", source: `${FUNCS} 946-948; helpers.go nanoInt64ToDecimalString 133`, replaces: true,
    inReadBackForm: unsetOr((v) => typeof v === "string" && dockerCpus(Number(v.endsWith(".") ? v.slice(0, -1) : v)) === v),
  },
  {
    resource: "Container", field: "healthcheck", readBack: "test and retries as sent; interval, timeout, startPeriod and startInterval as Go's Duration.String() (\"10s\", \"1m0s\")", source: `${FUNCS} 960-971`, replaces: false,
    inReadBackForm: unsetOr((v) => {
      const h = v as Record<string, unknown>;
      return ["interval", "timeout", "startPeriod", "startInterval"].every((k) => h[k] === undefined || isGoDuration(h[k])) && Array.isArray(h.tests) && wholeNumber(h.retries);
    }),
  },
  { resource: "Container", field: "restart", readBack: "HostConfig.RestartPolicy.Name, as sent", source: `${FUNCS} 857`, replaces: false, inReadBackForm: unsetOr((v) => ["no", "on-failure", "always", "unless-stopped"].includes(v as string)) },
  {
    resource: "Container", field: "stopSignal", readBack: "Config.StopSignal, as sent (SIGINT)", source: `${FUNCS} 977`, replaces: true, inReadBackForm: unsetOr((v) => typeof v === "string" && /^SIG[A-Z0-9]+$/.test(v)),
    podman: { readBack: "the signal's number (\"2\")", source: "containers/podman v5.8.2 pkg/api/handlers/compat/containers.go LibpodToContainerJSON 619" },
  },
  { resource: "Container", field: "stopTimeout", readBack: "Config.StopTimeout, as sent", source: `${FUNCS} 978`, replaces: true, inReadBackForm: unsetOr(wholeNumber) },
  {
    resource: "Container", field: "logDriver", readBack: "HostConfig.LogConfig.Type, as sent", source: `${FUNCS} 951`, replaces: true, inReadBackForm: unsetOr((v) => typeof v === "string"),
  },
  {
    resource: "Container", field: "logOpts", readBack: "HostConfig.LogConfig.Config, as sent (string values)", source: `${FUNCS} 952, 983-989 containerLogOptsForState`, replaces: true,
    inReadBackForm: unsetOr((v) => typeof v === "object" && v !== null && Object.values(v).every((x) => typeof x === "string")),
    podman: { readBack: "no log options (Podman keeps only driver, path, size and tag; compat reports none)", source: "containers/podman v5.8.2 libpod/container_inspect.go 490-495, pkg/api/handlers/compat/containers.go 530-533" },
  },
  ...["destroyGraceSeconds", "wait", "waitTimeout", "mustRun", "removeVolumes"].map(
    (field): ReadBackRule => ({ resource: "Container", field, readBack: notRead, source: `${FUNCS} 815-831 (must_run is set false only for a stopped container)`, replaces: false, inReadBackForm: always }),
  ),
  // The network.
  { resource: "Network", field: "name", readBack: "as sent", source: "resource_docker_network_funcs.go resourceDockerNetworkRead 175", replaces: true, inReadBackForm: (v) => typeof v === "string" },
  { resource: "Network", field: "driver", readBack: "as sent (bridge)", source: "resource_docker_network_funcs.go resourceDockerNetworkRead 177", replaces: true, inReadBackForm: (v) => v === "bridge" },
  { resource: "Network", field: "labels", readBack: "mapToLabelSet(Labels), exact", source: "resource_docker_network_funcs.go resourceDockerNetworkRead 176", replaces: true, inReadBackForm: always },
  {
    resource: "Network", field: "ipamOptions", readBack: "IPAM.Options: empty on Docker, so left unset", source: "resource_docker_network_funcs.go resourceDockerNetworkRead 183", replaces: true, inReadBackForm: (v) => v === undefined,
    podman: { readBack: "{\"driver\":\"host-local\"}", source: "containers/podman v5.8.2 pkg/api/handlers/compat/networks.go convertLibpodNetworktoDockerNetwork 115" },
  },
  // Volumes and images.
  { resource: "Volume", field: "name", readBack: "as sent", source: "resource_docker_volume.go resourceDockerVolumeRead 308", replaces: true, inReadBackForm: (v) => typeof v === "string" },
  { resource: "Volume", field: "labels", readBack: "mapToLabelSet(Labels), exact", source: "resource_docker_volume.go resourceDockerVolumeRead 310", replaces: true, inReadBackForm: always },
  { resource: "RemoteImage", field: "name", readBack: "as sent", source: "resource_docker_image_funcs.go resourceDockerImageRead 103-132", replaces: true, inReadBackForm: (v) => typeof v === "string" },
  { resource: "RemoteImage", field: "keepLocally", readBack: notRead, source: "resource_docker_image_funcs.go resourceDockerImageRead 103-132", replaces: false, inReadBackForm: always },
];

/** The rule for `resource.field`, if any. */
export function readBackRule(resource: DockerResource, field: string): ReadBackRule | undefined {
  return READ_BACK_RULES.find((r) => r.resource === resource && r.field === field);
}

/**
 * The fields to leave out of diffs on `engine`: on Podman, those its compat API reports in another form than the
 * one we can send. Empty on Docker, where every input is sent in its read-back form.
 */
export function engineIgnoreChanges(engine: ContainerEngine | undefined, resource: DockerResource): string[] {
  return engine === "podman" ? READ_BACK_RULES.filter((r) => r.resource === resource && r.podman).map((r) => r.field) : [];
}
