/**
 * The server's version guard: a small dynamic resource holding the PostgreSQL major, the TimescaleDB release and the
 * data location the data directory was made with. Its diff runs at preview, before the image or the container are
 * touched (both depend on it), and refuses what would leave the server restart-looping on its existing data:
 * - another PostgreSQL major on the same data directory: the server refuses a data directory of another major
 *   (PostgreSQL src/backend/utils/init/miscinit.c ValidatePgVersion: "database files are incompatible with server",
 *   the data directory's PG_VERSION against the binary's), and the image's entrypoint does not upgrade it
 *   (docker-library/postgres docker-entrypoint.sh runs initdb only on an empty directory);
 * - an older TimescaleDB release on the same data directory: the extension in the database stays at the version it
 *   was made or updated to, and an image without that version's library cannot load it; TimescaleDB has no downgrade
 *   path for ALTER EXTENSION (docs/operations-upgrade.md).
 * Both are allowed together with a new data location (another volume name or host directory): that is the fresh
 * data directory a dump/restore or pg_upgrade fills (docs/operations-upgrade.md). A newer TimescaleDB release is
 * allowed and recorded.
 *
 * Pulumi serializes the provider with the functions it reaches: this module keeps to functions and constants.
 */
import * as pulumi from "@pulumi/pulumi";

export interface ServerVersionInputs {
  readonly postgresMajor: number;
  readonly timescaledbVersion: string;
  /** `volume:<name>` or `hostPath:<path>`: where the data directory is. */
  readonly dataLocation: string;
}

/** Release numbers compared as numbers: -1, 0 or 1. */
export function compareReleases(a: string, b: string): number {
  const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Why a change from `olds` to `news` would break the server on its data directory; undefined when it would not. */
export function versionChangeProblem(olds: Partial<ServerVersionInputs>, news: ServerVersionInputs): string | undefined {
  if (olds.postgresMajor === undefined || olds.timescaledbVersion === undefined) return undefined;
  if (olds.dataLocation !== news.dataLocation) return undefined;
  const runbook = "docs/operations-upgrade.md";
  if (Number(olds.postgresMajor) !== Number(news.postgresMajor)) {
    return (
      `Refused: postgresMajor ${olds.postgresMajor} -> ${news.postgresMajor} on the existing data directory (${news.dataLocation}): PostgreSQL ${news.postgresMajor} cannot open a ` +
      `PostgreSQL ${olds.postgresMajor} data directory, so the new server would restart in a loop. Keep postgresMajor ${olds.postgresMajor}, or upgrade by ` +
      `dump and restore (or pg_upgrade) into a new data location: set namePrefix or dataHostPath to a new one together with postgresMajor, then restore (${runbook}).`
    );
  }
  if (compareReleases(news.timescaledbVersion, olds.timescaledbVersion) < 0) {
    return (
      `Refused: timescaledbVersion ${olds.timescaledbVersion} -> ${news.timescaledbVersion} on the existing data directory (${news.dataLocation}): the database's ` +
      `timescaledb extension is at ${olds.timescaledbVersion} or later and TimescaleDB cannot be downgraded. Keep timescaledbVersion ${olds.timescaledbVersion} or newer, ` +
      `or restore a dump into a new data location (${runbook}).`
    );
  }
  return undefined;
}

export const serverVersionProvider: pulumi.dynamic.ResourceProvider<ServerVersionInputs, ServerVersionInputs> = {
  async create(inputs) {
    return { id: inputs.dataLocation, outs: inputs };
  },
  async diff(_id, olds, news) {
    const problem = versionChangeProblem(olds, news);
    if (problem) throw new Error(problem);
    const keys = ["postgresMajor", "timescaledbVersion", "dataLocation"] as const;
    return { changes: keys.some((k) => String(olds[k]) !== String(news[k])) };
  },
  async update(_id, olds, news) {
    // Also here, for an `up` that skipped preview's diff of this resource.
    const problem = versionChangeProblem(olds, news);
    if (problem) throw new Error(problem);
    return { outs: news };
  },
};

export interface ServerVersionGuardArgs {
  readonly postgresMajor: pulumi.Input<number>;
  readonly timescaledbVersion: pulumi.Input<string>;
  readonly dataLocation: pulumi.Input<string>;
}

/** Holds the versions the data directory runs with; refuses at preview a change it cannot survive (see above). */
export class ServerVersionGuard extends pulumi.dynamic.Resource {
  declare readonly postgresMajor: pulumi.Output<number>;
  declare readonly timescaledbVersion: pulumi.Output<string>;
  declare readonly dataLocation: pulumi.Output<string>;

  constructor(name: string, args: ServerVersionGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(serverVersionProvider, name, { ...args }, opts);
  }
}
