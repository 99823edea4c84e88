/**
 * The server version guard: a changed PostgreSQL major or an older TimescaleDB on the existing data directory is
 * refused in the guard's diff (at preview), with the upgrade path; the same change with a new data location, or a
 * newer TimescaleDB, is allowed. Under mocks: the program registers the guard with the stack's values, and the
 * server's image and container wait for it, so nothing is pulled or replaced before the guard has passed.
 */
import { strict as assert } from "node:assert";
import { compareReleases, serverVersionProvider, ServerVersionGuard, versionChangeProblem, type ServerVersionInputs } from "../components/server/version-guard";
import { runProgram } from "./support/program";

const PROD: ServerVersionInputs = { postgresMajor: 17, timescaledbVersion: "2.29.2", dataLocation: "volume:crypto-scout-data" };

describe("server version guard", () => {
  it("compares releases as numbers", () => {
    assert.equal(compareReleases("2.29.2", "2.9.10"), 1);
    assert.equal(compareReleases("2.17.0", "2.17.0"), 0);
    assert.equal(compareReleases("2.28.3", "2.29.0"), -1);
  });

  it("refuses another PostgreSQL major on the same data directory, with the upgrade path", async () => {
    const news = { ...PROD, postgresMajor: 16, timescaledbVersion: "2.29.2" };
    const problem = versionChangeProblem(PROD, news);
    assert.match(String(problem), /^Refused: postgresMajor 17 -> 16 on the existing data directory \(volume:crypto-scout-data\): PostgreSQL 16 cannot open a PostgreSQL 17 data directory.*dump and restore \(or pg_upgrade\) into a new data location.*docs\/operations-upgrade\.md/);
    await assert.rejects(serverVersionProvider.diff!("id", PROD, news) as Promise<unknown>, { message: problem });
    await assert.rejects(serverVersionProvider.update!("id", PROD, news) as Promise<unknown>, { message: problem });
  });

  it("refuses an older TimescaleDB release on the same data directory", async () => {
    const news = { ...PROD, timescaledbVersion: "2.28.3" };
    await assert.rejects(serverVersionProvider.diff!("id", PROD, news) as Promise<unknown>, /^Error: Refused: timescaledbVersion 2\.29\.2 -> 2\.28\.3 on the existing data directory.*cannot be downgraded/);
  });

  it("allows a newer TimescaleDB, and a major change together with a new data location", async () => {
    assert.deepEqual(await serverVersionProvider.diff!("id", PROD, { ...PROD, timescaledbVersion: "2.30.0" }), { changes: true });
    assert.deepEqual(await serverVersionProvider.diff!("id", PROD, { postgresMajor: 16, timescaledbVersion: "2.22.0", dataLocation: "volume:crypto-scout-pg16-data" }), { changes: true });
    assert.deepEqual(await serverVersionProvider.diff!("id", PROD, { ...PROD }), { changes: false });
    // Values through protobuf may come back as strings: still the same.
    assert.deepEqual(await serverVersionProvider.diff!("id", { ...PROD, postgresMajor: "17" as unknown as number }, PROD), { changes: false });
  });

  it("is registered by the program with the stack's values, and the server's image and container wait for it", async function () {
    this.timeout(60_000);
    const run = await runProgram("prod");
    const guard = run.one("pulumi-nodejs:dynamic:Resource", "server-version");
    assert.equal(guard.inputs.postgresMajor, 17);
    assert.equal(guard.inputs.timescaledbVersion, "2.29.2");
    assert.equal(guard.inputs.dataLocation, "volume:crypto-scout-data");
    for (const child of ["timescaledb-image", "timescaledb-container"]) {
      const r = run.resources.find((x) => x.name === child);
      assert.ok(r, child);
      const deps = (r.options.dependsOn ?? []) as unknown[];
      assert.ok(deps.some((d) => d instanceof ServerVersionGuard), `${child} depends on the guard`);
    }
    const hostDir = await runProgram("prod", { dataHostPath: "/srv/crypto-scout/data" });
    assert.equal(hostDir.one("pulumi-nodejs:dynamic:Resource", "server-version").inputs.dataLocation, "hostPath:/srv/crypto-scout/data");
  });
});
