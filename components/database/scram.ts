/**
 * SCRAM-SHA-256 verifiers, computed here so a role's password never reaches the server in clear.
 *
 * `CREATE ROLE ... PASSWORD '<text>'` keeps its statement text in pg_stat_statements (readable by pg_monitor members
 * through pg_read_all_stats) and in the server log whenever the statement fails or is slow. PostgreSQL stores a
 * password string that is already a SCRAM-SHA-256 verifier as it is (src/backend/libpq/crypt.c get_password_type and
 * encrypt_password), so handing it the verifier instead of the password keeps the password off the server entirely;
 * login with the password works as before.
 *
 * The format and the derivation are PostgreSQL's own (src/common/scram-common.c scram_build_secret, called by libpq's
 * pg_fe_scram_build_secret; RFC 5802 section 3, RFC 7677):
 *
 *   SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations)
 *   StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key")),  ServerKey = HMAC(SaltedPassword, "Server Key")
 *   verifier = SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 *
 * The salt is an input, not drawn here: it comes from a generated secret kept in the stack's state, so the same
 * password gives the same verifier on every run and an unchanged stack converges.
 */
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";

/** PostgreSQL's default `scram_iterations` (src/include/common/scram-common.h SCRAM_SHA_256_DEFAULT_ITERATIONS). */
export const SCRAM_ITERATIONS = 4096;
/** PostgreSQL's salt length in bytes (SCRAM_DEFAULT_SALT_LEN). */
export const SCRAM_SALT_BYTES = 16;

/** Whether `text` is already a SCRAM-SHA-256 verifier (the form PostgreSQL stores as is). */
export function isScramVerifier(text: string): boolean {
  return /^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}$/.test(text);
}

/**
 * The SCRAM-SHA-256 verifier of `password` with `saltBase64` (16 bytes, base64, e.g. `random.RandomBytes.base64`).
 *
 * PostgreSQL runs the password through SASLprep first (src/common/saslprep.c), which leaves printable ASCII unchanged;
 * the passwords this program generates are letters and digits. Anything else is refused rather than hashed in a form
 * the server might normalise differently.
 */
export function scramSha256Verifier(password: string, saltBase64: string, iterations = SCRAM_ITERATIONS): string {
  if (!/^[\x20-\x7e]+$/.test(password)) {
    throw new Error("scramSha256Verifier: the password must be printable ASCII (SASLprep would change anything else)");
  }
  const salt = Buffer.from(saltBase64, "base64");
  if (salt.length !== SCRAM_SALT_BYTES || salt.toString("base64") !== saltBase64) {
    throw new Error(`scramSha256Verifier: the salt must be ${SCRAM_SALT_BYTES} bytes in base64`);
  }
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error("scramSha256Verifier: iterations must be a whole number of at least 1");
  const salted = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
