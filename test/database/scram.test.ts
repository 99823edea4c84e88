/**
 * SCRAM-SHA-256 verifiers (components/database/scram.ts): against RFC 7677's worked exchange (the keys derived here
 * must produce its ServerSignature and accept its ClientProof), and on PostgreSQL 15 itself: the server's own verifier
 * of a password set in clear is recomputed bit for bit from its salt and iteration count, and a role created with a
 * verifier computed here logs in with the password (and not with another).
 */
import { strict as assert } from "node:assert";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { Client, escapeIdentifier as id, escapeLiteral } from "pg";
import { isScramVerifier, SCRAM_ITERATIONS, SCRAM_SALT_BYTES, scramSha256Verifier } from "../../components/database/scram";
import { pg15Missing, startPg15, type Pg15 } from "../support/pg15";

/** StoredKey and ServerKey of a verifier, as raw bytes. */
function keys(verifier: string): { iterations: number; salt: string; storedKey: Buffer; serverKey: Buffer } {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  assert.ok(m, `not a verifier: ${verifier}`);
  return { iterations: Number(m[1]), salt: m[2], storedKey: Buffer.from(m[3], "base64"), serverKey: Buffer.from(m[4], "base64") };
}

describe("scramSha256Verifier", () => {
  it("derives the keys of RFC 7677's example exchange: its ServerSignature, and its ClientProof verifies", () => {
    // RFC 7677 section 3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
    const verifier = scramSha256Verifier("pencil", "W22ZaJ0SNY7soEsUEjb6gQ==", 4096);
    const { storedKey, serverKey } = keys(verifier);
    const clientFirstBare = "n=user,r=rOprNGfwEbeRWgbNEkqO";
    const serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const clientFinalWithoutProof = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
    // What the server sends back (v=...), from ServerKey.
    assert.equal(createHmac("sha256", serverKey).update(authMessage).digest("base64"), "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    // What the server checks (RFC 5802 section 3): ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage), H(ClientKey) = StoredKey.
    const proof = Buffer.from("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "base64");
    const signature = createHmac("sha256", storedKey).update(authMessage).digest();
    const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]));
    assert.deepEqual(createHash("sha256").update(clientKey).digest(), storedKey);
    assert.ok(verifier.startsWith("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"));
  });

  it("is the same for the same password and salt, and differs with either", () => {
    const salt = randomBytes(SCRAM_SALT_BYTES).toString("base64");
    const other = randomBytes(SCRAM_SALT_BYTES).toString("base64");
    assert.equal(scramSha256Verifier("abc123", salt), scramSha256Verifier("abc123", salt));
    assert.notEqual(scramSha256Verifier("abc123", salt), scramSha256Verifier("abc124", salt));
    assert.notEqual(scramSha256Verifier("abc123", salt), scramSha256Verifier("abc123", other));
    assert.equal(keys(scramSha256Verifier("abc123", salt)).iterations, SCRAM_ITERATIONS);
    assert.doesNotMatch(scramSha256Verifier("abc123", salt), /abc123/);
  });

  it("refuses what it cannot hash as PostgreSQL would, without repeating the password", () => {
    const salt = randomBytes(SCRAM_SALT_BYTES).toString("base64");
    for (const password of ["pässwort", "tab\there", ""]) {
      assert.throws(() => scramSha256Verifier(password, salt), (e: Error) => /printable ASCII/.test(e.message) && (password === "" || !e.message.includes(password)));
    }
    assert.throws(() => scramSha256Verifier("pw", randomBytes(8).toString("base64")), /16 bytes in base64/);
    assert.throws(() => scramSha256Verifier("pw", "not base64!"), /16 bytes in base64/);
    assert.throws(() => scramSha256Verifier("pw", salt, 0), /iterations/);
    assert.throws(() => scramSha256Verifier("pw", salt, 1.5), /iterations/);
  });

  it("isScramVerifier tells a verifier from a password", () => {
    assert.equal(isScramVerifier(scramSha256Verifier("pw", randomBytes(16).toString("base64"))), true);
    for (const text of ["pw", "SCRAM-SHA-256", "md5" + "0".repeat(32), "SCRAM-SHA-256$4096:abc$def", "SCRAM-SHA-256$4096:a b$c:d", `${scramSha256Verifier("pw", randomBytes(16).toString("base64"))}'`]) {
      assert.equal(isScramVerifier(text), false, text);
    }
  });
});

describe("scramSha256Verifier on PostgreSQL 15", function () {
  this.timeout(60_000);
  let pg: Pg15;
  const superuser = { user: "scram_test", password: "scram-test-superuser" };
  const admin = <T>(fn: (c: Client) => Promise<T>) => as(superuser.user, superuser.password, fn);
  const as = async <T>(user: string, password: string, fn: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ host: "127.0.0.1", port: pg.port, database: "postgres", user, password });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  before(async function () {
    const missing = pg15Missing();
    if (missing) {
      console.log(`      SKIPPED (not run, not passed): ${missing}`);
      this.skip();
    }
    pg = await startPg15(superuser);
  });

  after(() => pg?.stop());

  it("recomputes the server's own verifier of a password set in clear, from its salt and iterations", async () => {
    for (const [role, password] of [["scram_clear", "Zq0lXk3J9mPp2QrT7vWy4sBn8cDe1FgH"], ["scram_punct", "p@ss w0rd!~{}"]] as const) {
      const stored = await admin(async (c) => {
        await c.query("SET password_encryption = 'scram-sha-256'");
        await c.query(`CREATE ROLE ${id(role)} LOGIN PASSWORD ${escapeLiteral(password)}`);
        return (await c.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [role])).rows[0].rolpassword;
      });
      const { iterations, salt } = keys(stored);
      assert.equal(iterations, 4096, "PostgreSQL 15 uses 4096 iterations");
      assert.equal(Buffer.from(salt, "base64").length, SCRAM_SALT_BYTES);
      assert.equal(scramSha256Verifier(password, salt, iterations), stored, role);
    }
  });

  it("stores a verifier as given, and the role logs in with the password, not with another", async () => {
    const password = "Rk5vT2mQ8xLw1JcA9bYe3NfH6uPd0ZsG";
    const verifier = scramSha256Verifier(password, randomBytes(16).toString("base64"));
    const stored = await admin(async (c) => {
      await c.query(`CREATE ROLE scram_verifier LOGIN PASSWORD ${escapeLiteral(verifier)}`);
      return (await c.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = 'scram_verifier'")).rows[0].rolpassword;
    });
    assert.equal(stored, verifier);
    assert.equal(await as("scram_verifier", password, async (c) => (await c.query<{ u: string }>("SELECT current_user AS u")).rows[0].u), "scram_verifier");
    await assert.rejects(as("scram_verifier", `${password}x`, async () => undefined), /password authentication failed for user "scram_verifier"/);
  });
});
