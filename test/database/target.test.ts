/**
 * The test server itself: connections reach the database and role that `timescale()` names (so a test that takes its
 * parameters from there runs against any server, embedded or TIMESCALE_URL), with TimescaleDB installed.
 */
import { strict as assert } from "node:assert";
import { parseDatabaseUrl } from "../../components/database/providers/connection";
import { query, timescale } from "../support/timescale";

describe("the test TimescaleDB server", function () {
  this.timeout(30_000);

  it("is the database and login role timescale() names, with TimescaleDB installed", async () => {
    const t = await timescale();
    const [row] = await query<{ db: string; usr: string; session: string; ext: string | null; superuser: boolean }>(
      `SELECT current_database() AS db, current_user AS usr, session_user AS session,
              (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS ext,
              (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser`,
    );
    assert.deepEqual([row.db, row.usr, row.session], [t.database, t.user, t.user]);
    assert.match(row.ext ?? "", /^2\.\d+\.\d+/, "the timescaledb extension is installed");
    const { host, port, database, user, password } = t;
    assert.deepEqual(parseDatabaseUrl(t.url), { host, port, database, user, password }, "the URL names the same server");
    if (t.embedded) {
      // The embedded server is deliberately unlike a default install, so literals cannot pass by accident.
      assert.notEqual(t.database, "postgres");
      assert.notEqual(t.user, "postgres");
      assert.equal(row.superuser, false, "tests run without superuser rights, as on a managed TimescaleDB");
    }
  });
});
