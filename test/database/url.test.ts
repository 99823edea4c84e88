/** Connection URLs: every part encoded, IPv6 bracketed, and read back to the same parts by pg's own parser. */
import { strict as assert } from "node:assert";
import { databaseUrl, hostPort } from "../../components/database/url";
import { parseDatabaseUrl } from "../../components/database/providers/connection";

describe("connection URLs", () => {
  const cases = [
    { host: "127.0.0.1", port: 5432, database: "crypto_scout", user: "crypto_scout_db", password: "Abc123" },
    { host: "::1", port: 6543, database: "crypto scout", user: "us@er:x", password: "p@ss:w/rd?#%&=+ é" },
    { host: "db.example.com", port: 5432, database: "tsdb", user: "tsdbadmin", password: "%41" },
  ];
  for (const c of cases) {
    it(`round-trips ${c.user}@${hostPort(c)}/${c.database} through pg's parser`, () => {
      assert.deepEqual(parseDatabaseUrl(databaseUrl(c)), c);
    });
  }

  it("brackets IPv6 hosts and writes the others as they are", () => {
    assert.equal(databaseUrl(cases[1]), "postgresql://us%40er%3Ax:p%40ss%3Aw%2Frd%3F%23%25%26%3D%2B%20%C3%A9@[::1]:6543/crypto%20scout");
    assert.equal(databaseUrl(cases[0]), "postgresql://crypto_scout_db:Abc123@127.0.0.1:5432/crypto_scout");
    assert.deepEqual([hostPort({ host: "::1", port: 1 }), hostPort({ host: "h", port: 2 })], ["[::1]:1", "h:2"]);
  });
});
