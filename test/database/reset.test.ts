/**
 * What keeps one test file from breaking the next on the embedded server a worker shares between its files
 * (test/support/hooks.ts calls `endTestFile`, which calls `ServedTimescale.reset`): a connection left open, an open
 * transaction, session settings and SET ROLE. On a server of its own (serve-timescale.ts, other names), so the
 * suite's shared server is not disturbed.
 */
import { strict as assert } from "node:assert";
import { Client } from "pg";
import { serveTimescale, type ServedTimescale } from "../support/serve-timescale";

describe("the embedded server's reset between test files", function () {
  this.timeout(60_000);
  let served: ServedTimescale;
  const connect = async () => {
    const c = new Client({ host: served.host, port: served.port, database: served.database, user: served.user, password: served.password, connectionTimeoutMillis: 5_000 });
    await c.connect();
    return c;
  };

  before(async () => {
    served = await serveTimescale({ port: 0, database: "reset_db", user: "reset_owner", password: "pw" });
  });
  after(async () => served?.stop());

  it("closes a connection left open, and the session is back to its login role, defaults and no transaction", async () => {
    const left = await connect();
    left.on("error", () => undefined); // reset() closes it under the client
    await left.query("CREATE ROLE reset_other NOLOGIN");
    await left.query("GRANT reset_other TO reset_owner");
    await left.query("SET work_mem = '7MB'");
    await left.query("SET ROLE reset_other");
    await left.query("BEGIN");
    await left.query("CREATE TEMPORARY TABLE leftover (x int)");
    // Without the reset a new connection waits behind this one (pglite-socket serves one at a time).
    await served.reset();
    const next = await connect();
    try {
      const { rows } = await next.query(
        `SELECT current_user AS u, session_user AS s, current_setting('work_mem') AS w, current_setting('search_path') AS p,
                to_regclass('pg_temp.leftover') IS NULL AS no_temp, now() = statement_timestamp() AS no_transaction`,
      );
      assert.deepEqual(rows[0], { u: "reset_owner", s: "reset_owner", w: "4MB", p: '"$user", public', no_temp: true, no_transaction: true });
      assert.equal(served.port, next.port);
    } finally {
      await next.end();
    }
    await left.end().catch(() => undefined);
  });
});
