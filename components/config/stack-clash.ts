/**
 * A stack must not take another stack's Docker objects: its network, containers, volumes, host ports or host
 * directories. The docker provider adopts nothing by itself, but the daemon hands back an existing volume by name
 * (stack-names.ts), and a host directory or port is simply shared; so a stack with another's names would mount the
 * other's data directory, and one with its ports would fail to start or take its place.
 *
 * The other stacks are read from their files beside Pulumi.yaml, as the CLI reads them (stack-files.ts), and their
 * settings computed by the same `loadSettings`, so their derived names and ports are exactly what their own preview
 * uses. Stacks that run on different Docker hosts (both set `docker:host`, to different values: the docker provider's
 * `host` setting, kreuzwerker/terraform-provider-docker internal/provider/provider.go, which otherwise falls back to
 * DOCKER_HOST and then the local socket) cannot clash and are not compared; nor are external-mode stacks, which create
 * no Docker object.
 */
import * as fs from "node:fs";
import { dockerNames } from "../docker-common";
import { ConfigError } from "./units";
import { loadSettings, type ConfigKey, type ConfigSource, type Settings } from "./settings";
import { loadStackConfig, PROJECT_DIR, stackConfigSource } from "./stack-files";

/** What a stack takes on its Docker host. */
export interface DockerClaims {
  /** Docker names by kind (each kind is its own namespace in Docker), with the key that decides them. */
  readonly names: ReadonlyArray<{ readonly kind: "network" | "container" | "volume"; readonly name: string; readonly key: ConfigKey }>;
  readonly ports: ReadonlyArray<{ readonly key: ConfigKey; readonly address: string; readonly port: number }>;
  readonly paths: ReadonlyArray<{ readonly key: ConfigKey; readonly path: string }>;
}

/** The Docker objects a stack's settings create; undefined in external mode, which creates none. */
export function dockerClaims(s: Settings): DockerClaims | undefined {
  if (s.external) return undefined;
  const n = dockerNames(s.namePrefix);
  const names: Array<DockerClaims["names"][number]> = [
    { kind: "network", name: s.networkName, key: "namePrefix" },
    { kind: "container", name: n.serverContainer, key: "namePrefix" },
  ];
  const ports: Array<DockerClaims["ports"][number]> = [{ key: "hostPort", address: s.bindAddress, port: s.hostPort }];
  const paths: Array<DockerClaims["paths"][number]> = [];
  const storage = (location: Settings["data"], key: ConfigKey) => {
    if (location.kind === "volume") names.push({ kind: "volume", name: location.name, key: "namePrefix" });
    else paths.push({ key, path: location.path });
  };
  storage(s.data, "dataHostPath");
  if (s.backup.enabled) {
    names.push({ kind: "container", name: n.backupContainer, key: "namePrefix" });
    storage(s.backup.location, "backupHostPath");
  }
  if (s.pitr.enabled) {
    names.push({ kind: "container", name: n.pitrContainer, key: "namePrefix" });
    storage(s.pitr.location, "pitrHostPath");
  }
  if (s.monitoring.enabled) {
    names.push({ kind: "container", name: n.postgresExporterContainer, key: "namePrefix" }, { kind: "container", name: n.sqlExporterContainer, key: "namePrefix" });
    ports.push(
      { key: "postgresExporterPort", address: s.monitoring.bindAddress, port: s.monitoring.postgresExporterPort },
      { key: "sqlExporterPort", address: s.monitoring.bindAddress, port: s.monitoring.sqlExporterPort },
    );
  }
  return { names, ports, paths };
}

/** Whether two published addresses overlap: the same address, or either is every interface. */
function overlaps(a: string, b: string): boolean {
  return a === b || [a, b].some((x) => x === "0.0.0.0" || x === "::");
}

/** Whether one directory is the other or inside it (both absolute, without trailing slashes, as loadSettings gives them). */
function nested(a: string, b: string): boolean {
  const inside = (x: string, y: string) => x === y || x.startsWith(y === "/" ? "/" : `${y}/`);
  return inside(a, b) || inside(b, a);
}

/** Another stack of the project, as its own preview would see it. */
export interface OtherStack {
  readonly stack: string;
  readonly file: string;
  /** Its `docker:host`, when its stack file sets one. */
  readonly dockerHost?: string;
  readonly settings?: Settings;
  /** Why its settings could not be computed (its own preview fails with this). */
  readonly error?: string;
}

/** The other stacks' files beside Pulumi.yaml (`Pulumi.<stack>.yaml`), read with the CLI's rules and `loadSettings`. */
export function otherStacks(current: string, dir = PROJECT_DIR): OtherStack[] {
  const out: OtherStack[] = [];
  const files = fs.readdirSync(dir).filter((f) => /^Pulumi\.[^/]+\.yaml$/.test(f)).sort();
  for (const file of files) {
    const stack = file.slice("Pulumi.".length, -".yaml".length);
    if (stack === current) continue;
    try {
      const values = loadStackConfig(stack, dir).values;
      out.push({ stack, file, dockerHost: values["docker:host"] || undefined, settings: loadSettings(stackConfigSource(stack, dir)) });
    } catch (e) {
      out.push({ stack, file, error: (e as Error).message });
    }
  }
  return out;
}

/**
 * Refuses settings that take a Docker name, host port or host directory another stack of the project takes. Throws a
 * ConfigError naming the key as this stack wrote it (its raw value from `source`), the other stack and its file, and
 * what to do. Returns the other stacks that could not be read, for a warning.
 */
export function checkOtherStacks(settings: Settings, source: ConfigSource, others: readonly OtherStack[], dockerHost?: string): OtherStack[] {
  const mine = dockerClaims(settings);
  const unreadable = others.filter((o) => !o.settings);
  if (!mine) return unreadable;
  const refuse = (key: ConfigKey, allowed: string, other: OtherStack, fix: string): never => {
    throw new ConfigError(key, source.get(key), `${allowed}: stack ${other.stack} (${other.file}) takes it on the same Docker host; ${fix}`);
  };
  for (const other of others) {
    if (!other.settings) continue;
    // Different Docker hosts cannot clash; unset on either side means DOCKER_HOST or the local socket, so perhaps the same.
    if (dockerHost && other.dockerHost && dockerHost !== other.dockerHost) continue;
    const theirs = dockerClaims(other.settings);
    if (!theirs) continue;
    for (const name of mine.names) {
      if (theirs.names.some((t) => t.kind === name.kind && t.name === name.name)) {
        refuse(name.key, `a prefix no other stack of this project uses (this one gives the ${name.kind} ${name.name})`, other,
          "leave namePrefix unset (derived from the stack name, docs/configuration-stacks.md) or set one of its own");
      }
    }
    for (const port of mine.ports) {
      const clash = theirs.ports.find((t) => t.port === port.port && overlaps(t.address, port.address));
      if (clash) refuse(port.key, `a host port no other stack of this project uses (this one gives ${port.port} on ${port.address}; ${other.stack} publishes ${clash.key} ${clash.port} on ${clash.address})`, other, `set ${port.key} to a free port, or 0 for the stack's derived one`);
    }
    for (const p of mine.paths) {
      const clash = theirs.paths.find((t) => nested(t.path, p.path));
      if (clash) refuse(p.key, `a host directory apart from every other stack's, neither the same nor one inside the other (${other.stack}'s ${clash.key} is ${clash.path})`, other, `set ${p.key} to a directory of this stack's own, outside the other's`);
    }
  }
  return unreadable;
}

/** The neighbours of `stack` for the tools, which read its own `docker:host` from its stack file as the CLI would. */
export function stackNeighbours(stack: string, dir = PROJECT_DIR): { others: OtherStack[]; dockerHost?: string } {
  return { others: otherStacks(stack, dir), dockerHost: loadStackConfig(stack, dir).values["docker:host"] || undefined };
}
