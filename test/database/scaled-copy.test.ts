/**
 * COPY ... FROM STDIN into a scaled table's view, on Debian's PostgreSQL 15 started by the test: COPY crashes the
 * embedded engine (test/database/scaled.test.ts runs the same case only against TIMESCALE_URL). PostgreSQL 15 has no
 * TimescaleDB, so the physical table is a plain table here: the statements of `createScaledStorageSql` run except
 * create_hypertable and the compression settings. What COPY does with the view (the column types' input rounding,
 * the id default, the INSTEAD OF trigger, its SECURITY DEFINER rights) is PostgreSQL's, not TimescaleDB's.
 */
import { strict as assert } from "node:assert";
import { Client, escapeIdentifier as id } from "pg";
import { CRYPTO_SCOUT_TABLES, hypertableSpec, sequenceNames } from "../../components/database/model";
import { createTableSql, qualified } from "../../components/database/sql";
import { createScaledStorageSql } from "../../components/database/scaled";
import { copyFrom } from "../support/copy";
import { COLLECTOR_COLUMNS } from "../support/timescale";
import { pg15Missing, startPg15, type Pg15 } from "../support/pg15";

const BTC = CRYPTO_SCOUT_TABLES[1];

describe("scaled storage: COPY ... FROM STDIN into the view (PostgreSQL 15)", function () {
  this.timeout(30_000);
  let server: Pg15 | undefined;
  const connect = async (user: string, password: string) => {
    const c = new Client({ host: "127.0.0.1", port: server!.port, database: "postgres", user, password });
    await c.connect();
    return c;
  };

  before(async function () {
    const missing = pg15Missing();
    if (missing) {
      console.log(`      SKIPPED (not run, not passed): ${missing}`);
      this.skip();
    }
    server = await startPg15({ user: "copy_owner", password: "owner-pw" });
    const c = await connect("copy_owner", "owner-pw");
    try {
      await c.query("CREATE SCHEMA scaled; CREATE SCHEMA reference;");
      const statements = createScaledStorageSql("scaled", hypertableSpec({ ...BTC, storage: "scaled" }));
      for (const s of statements.filter((x) => !/^SELECT create_hypertable\(|SET \(timescaledb\.compress/.test(x))) await c.query(s);
      await c.query(createTableSql("reference", hypertableSpec(BTC)));
      // The collector: INSERT (and so COPY) on the view, USAGE on the sequence, nothing on the physical table.
      await c.query("CREATE ROLE collector LOGIN PASSWORD 'collector-pw'");
      await c.query(`GRANT USAGE ON SCHEMA scaled, reference TO collector`);
      await c.query(`GRANT INSERT, SELECT ON ${qualified("scaled", BTC.name)}, ${qualified("reference", BTC.name)} TO collector`);
      const seqs = (schema: string) => sequenceNames(BTC).map((s) => qualified(schema, s)).join(", ");
      await c.query(`GRANT USAGE, SELECT ON SEQUENCE ${seqs("scaled")}, ${seqs("reference")} TO collector`);
    } finally {
      await c.end();
    }
  });

  after(() => server?.stop());

  it("takes the collector's columns as COPY text: ids from the default, values as NUMERIC(p,s) stores them, errors as the table's", async () => {
    const columns = COLLECTOR_COLUMNS[BTC.name];
    const copy = (schema: string) => `COPY ${qualified(schema, BTC.name)} (${columns.map(id).join(", ")}) FROM STDIN`;
    const data =
      "2024-03-03 00:00:00+00\t1\t60000.125\t61000.5\t59000.25\t59500\t1.000000005\t2.00005\t0.00005\t\\N\n" +
      "2024-03-03 00:00:01+00\t2\t-0.005\t1\t1\t1\t1\t1\t-0.00005\t60000.0000005\n";
    const c = await connect("collector", "collector-pw");
    try {
      for (const schema of ["scaled", "reference"]) assert.equal(await copyFrom(c, copy(schema), data), 2, schema);
      const read = (schema: string) => c.query(`SELECT id, ${columns.map(id).join(", ")} FROM ${qualified(schema, BTC.name)} ORDER BY "timestamp"`);
      const [scaled, reference] = [(await read("scaled")).rows, (await read("reference")).rows];
      assert.deepEqual(scaled, reference, "the same rows, ids included, as the NUMERIC table");
      assert.deepEqual(scaled.map((r) => [r.id, r.last_price, r.volume_24h, r.price_24h_pcnt, r.usd_index_price]), [
        ["1", "60000.13", "1.00000001", "0.0001", null],
        ["2", "-0.01", "1.00000000", "-0.0001", "60000.000001"],
      ]);
      // Too many digits: PostgreSQL's own error, as for the table; beyond the integer: the clear one; nothing half-done.
      const tooMany = "2024-03-03 00:00:02+00\t3\t1000000000000000000.00\t1\t1\t1\t1\t1\t0\t\\N\n";
      for (const schema of ["scaled", "reference"]) await assert.rejects(copyFrom(c, copy(schema), tooMany), /numeric field overflow/);
      await assert.rejects(copyFrom(c, copy("scaled"), "2024-03-03 00:00:02+00\t3\t92233720368547758.08\t1\t1\t1\t1\t1\t0\t\\N\n"), /out of range for its scaled storage/);
      await assert.rejects(c.query(`SELECT 1 FROM ${qualified("scaled", `${BTC.name}_scaled`)}`), /permission denied/, "the collector has no right on the physical table");
      assert.equal((await c.query(`SELECT count(*)::int AS n FROM ${qualified("scaled", BTC.name)}`)).rows[0].n, 2);
    } finally {
      await c.end();
    }
  });
});
