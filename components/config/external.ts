/**
 * External mode (issue 10): a stack whose `databaseUrl` is set manages the schema, roles and policies of a server it
 * reaches by URL (Tiger Cloud, a platform team's PostgreSQL) and creates no Docker resource. This module reads the
 * three keys behind it, `databaseUrl`, `sslMode` and `sslRootCert`, into one `ServerTarget`; `loadSettings` calls it.
 *
 * TLS, in order of precedence (the issue's rule: a URL's own parameters win):
 *   1. the URL's `sslmode` / `sslrootcert`, with libpq's meaning (`urlTls` in providers/connection.ts);
 *   2. the stack's `sslMode` (`disable`, `require`, `verify-ca`, `verify-full`) and `sslRootCert` (a file path, a PEM
 *      text, or `system` for the client's CA store);
 *   3. the default: `verify-full` against the system CA store for an external server (managed services such as
 *      Tiger Cloud present certificates from public CAs), `disable` for the local container (it has no TLS).
 *
 * The same settings reach every client: the postgresql provider (`sslmode`, `sslrootcert`: lib/pq, which reads
 * `system` and a file path exactly so, lib/pq v1.12.3 ssl.go 66-110 and 241-270), our dynamic providers (`tls` in
 * their connection inputs, mapped to Node's TLS options by `tlsOptions` in live.ts) and the schema CLI.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, HiddenValue, RedactedValue } from "./units";
import { parseDatabaseUrl } from "../database/providers/connection";
import { sslDescription, type Connection, type ConnectionTls } from "../database/providers/live";

/** The sslmode values a stack may set (libpq's, without `allow` and `prefer`, which are not a choice to make here). */
export const STACK_SSL_MODES = ["disable", "require", "verify-ca", "verify-full"] as const;
export type StackSslMode = (typeof STACK_SSL_MODES)[number];

/** What the database stage connects to when the stack has a `databaseUrl`. */
export interface ExternalServer {
  /**
   * Host, port, database, user, password and TLS from the URL and the stack's TLS keys. Undefined in tools that read
   * the stack file and cannot decrypt the secret (print-settings): they know the stack is external, not where.
   */
  readonly connection?: Connection;
  /** The TLS in force, also when `connection` is unknown (for messages and print-settings). */
  readonly tlsDescription: string;
  /** The stack's own TLS (sslMode, sslRootCert or their defaults), for a URL given elsewhere without sslmode. */
  readonly stackTls: ConnectionTls;
}

/** How a config value is given to `readExternalServer`: raw value, and whether the stack keeps it encrypted. */
export interface ExternalKeys {
  readonly databaseUrl: { readonly value: unknown; readonly secret: boolean | undefined; readonly encrypted: boolean };
  readonly sslMode: unknown;
  readonly sslRootCert: unknown;
}

/** `postgresql://user:***@host:port/db?...`: a URL fit for an error message (never the password). */
export function redactUrl(url: string): string {
  // Greedy to the last "@": a password may hold an unencoded "@", a host never does.
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*:).*@/, "$1***@");
}

/**
 * Reads databaseUrl, sslMode and sslRootCert. Returns undefined for a local stack (no databaseUrl) after checking
 * that the TLS keys are valid for it. Throws one ConfigError naming the key, the value (a URL without its password)
 * and what is allowed.
 */
export function readExternalServer(keys: ExternalKeys): ExternalServer | undefined {
  const { databaseUrl } = keys;
  const sslMode = keys.sslMode === undefined || keys.sslMode === "" ? undefined : keys.sslMode;
  if (sslMode !== undefined && !(STACK_SSL_MODES as readonly unknown[]).includes(sslMode)) {
    throw new ConfigError("sslMode", sslMode, `one of ${STACK_SSL_MODES.join(", ")} (empty: verify-full with databaseUrl, disable for the local container)`);
  }
  const rootCert = stackRootCert(keys.sslRootCert);
  const external = databaseUrl.encrypted || (databaseUrl.value !== undefined && databaseUrl.value !== "");

  if (!external) {
    // The local container has no TLS: a stack that asks for it would fail at the first connection.
    if (sslMode !== undefined && sslMode !== "disable") {
      throw new ConfigError("sslMode", sslMode, "disable (or unset) without databaseUrl: the local container serves no TLS");
    }
    if (rootCert) throw new ConfigError("sslRootCert", keys.sslRootCert, "unset without databaseUrl: the local container serves no TLS");
    return undefined;
  }

  const mode: StackSslMode = (sslMode as StackSslMode | undefined) ?? "verify-full";
  if (rootCert?.file === "inline" && rootCert.pem) {
    // Written now, so that a temporary directory it cannot be written to safely fails the preview with this key.
    try {
      inlineRootCertFile(rootCert.pem);
    } catch (e) {
      throw new ConfigError("sslRootCert", new HiddenValue("the PEM text"), `a CA certificate file path instead: ${(e as Error).message.replace(/^sslRootCert: /, "")}`);
    }
  }
  if (rootCert && mode === "disable") throw new ConfigError("sslRootCert", keys.sslRootCert, "unset with sslMode disable");
  if (mode === "verify-ca" && !rootCert) {
    // Against the system store, verify-ca would accept any certificate any public CA issued, for any host name; the
    // program refuses that combination when it writes the TLS out as a URL (connection.ts urlTls, as libpq does).
    throw new ConfigError("sslMode", sslMode, "verify-full, or verify-ca with sslRootCert set to the CA file or PEM that signed the server's certificate (verify-ca checks no host name, so it needs a CA of its own)");
  }
  if (rootCert?.file === "system" && mode !== "verify-full") {
    throw new ConfigError("sslRootCert", "system", `a CA file or PEM with sslMode ${mode} (system needs verify-full, as in libpq: a public CA vouches for anyone's host name)`);
  }
  const stackTls: ConnectionTls =
    mode === "disable"
      ? { mode }
      : rootCert
        ? { mode, ...(rootCert.pem ? { rootCert: rootCert.pem } : {}), rootCertFile: rootCert.file }
        : mode === "require"
          ? { mode }
          : // verify-* without a CA named: the system store, what managed services' public certificates chain to.
            { mode, rootCertFile: "system" };

  if (databaseUrl.encrypted) return { tlsDescription: describeTls(stackTls, "the stack's sslMode, unless the URL sets sslmode"), stackTls };
  const url = databaseUrl.value;
  if (typeof url !== "string") throw new ConfigError("databaseUrl", url, "a URL such as postgresql://user:password@host:5432/tsdb");
  // A password in the userinfo, or as `?password=` (pg-connection-string copies every query parameter into the config).
  if (databaseUrl.secret === false && (/^[^:]+:\/\/[^:@/]*:[^@]+@/.test(url) || /[?&]password=[^&#]/i.test(url))) {
    throw new ConfigError(
      "databaseUrl",
      new RedactedValue(redactUrl(url)),
      "a secret: it holds a password, so set it with `pulumi config set --secret databaseUrl <url>` (it is in clear text in the stack file now)",
    );
  }
  let parsed: Connection;
  try {
    parsed = parseDatabaseUrl(url, "databaseUrl");
  } catch (e) {
    throw new ConfigError("databaseUrl", new RedactedValue(redactUrl(url)), (e as Error).message.replace(/^databaseUrl:?\s*/, ""));
  }
  if (!parsed.password) throw new ConfigError("databaseUrl", new RedactedValue(redactUrl(url)), "a URL with the password of its user: postgresql://user:password@host:5432/tsdb");
  // A URL that checks no certificate at all (disable, prefer, require without a root certificate) where the stack's
  // keys (or their verify-full default) ask for more is taken for a leftover, not a choice, unless the host is this
  // machine. verify-ca with the URL's own sslrootcert names a CA: a choice, and it wins as the URL's parameters do.
  const urlStrength = parsed.tls ? tlsStrength(parsed.tls) : undefined;
  if (parsed.tls && urlStrength !== undefined && urlStrength <= 1 && urlStrength < tlsStrength(stackTls) && !isLoopback(parsed.host)) {
    const urlMode = /[?&]sslmode=([^&#]*)/.exec(url)?.[1] ?? `none (sslrootcert alone: ${parsed.tls.mode})`;
    throw new ConfigError(
      "databaseUrl",
      new RedactedValue(redactUrl(url)),
      `no sslmode weaker than the stack's ${sslMode === undefined ? "default sslMode verify-full" : `sslMode ${mode}`}${rootCert ? " with sslRootCert" : ""} for ${parsed.host}, which is not this machine: the URL's sslmode=${urlMode} would win over the stack's TLS keys and connect ${urlStrength === 0 ? "without TLS" : "without checking the server's certificate"}; ${weakerUrlFix(parsed.tls, mode)}`,
    );
  }
  const connection: Connection = { ...parsed, tls: parsed.tls ?? stackTls };
  return { connection, tlsDescription: describeTls(connection.tls, parsed.tls ? "the URL's parameters" : "the stack's TLS keys"), stackTls };
}

/** What to do about a URL whose sslmode is weaker than the stack's TLS keys. */
function weakerUrlFix(urlTls: ConnectionTls, stackMode: StackSslMode): string {
  const urlMode = urlTls.mode === "prefer" ? "require" : urlTls.mode;
  if (urlMode === stackMode) return "remove sslmode from the URL, or give it the stack's sslrootcert too";
  return `remove sslmode from the URL, or set sslMode ${urlMode} too if that is meant`;
}

/** Whether `host` is this machine (loopback or a Unix socket directory): TLS there protects nothing on a network. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || h.startsWith("/");
}

/**
 * How much a TLS setting checks, as connect (live.ts) applies it: 0 no TLS; 1 encryption only; 2 the chain is verified
 * (verify-ca, and require or prefer given a root certificate, as in libpq); 3 the chain and the host name.
 */
export function tlsStrength(tls: ConnectionTls): number {
  if (tls.mode === "disable") return 0;
  if (tls.mode === "verify-full") return 3;
  if (tls.mode === "verify-ca" || tls.rootCertFile) return 2;
  return 1;
}

function describeTls(tls: ConnectionTls | undefined, from: string): string {
  if (!tls || tls.mode === "disable") return `no TLS (${from})`;
  return `${sslDescription(tls)} (${from})`;
}

/** sslRootCert: a PEM text, `system`, or a file holding PEM; undefined when unset. */
function stackRootCert(raw: unknown): { pem?: string; file: string } | undefined {
  if (raw === undefined || raw === "") return undefined;
  const allowed = "a CA certificate file path, its PEM text (-----BEGIN CERTIFICATE-----...), or system (the client's CA store)";
  if (typeof raw !== "string") throw new ConfigError("sslRootCert", raw, allowed);
  if (raw === "system") return { file: "system" };
  if (raw.includes("-----BEGIN CERTIFICATE-----")) return { pem: raw, file: "inline" };
  const file = raw.startsWith("~/") ? path.join(os.homedir(), raw.slice(2)) : raw;
  let pem: string;
  try {
    pem = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError("sslRootCert", raw, `${allowed}; this file ${code === "ENOENT" ? "does not exist" : `cannot be read (${code})`}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new ConfigError("sslRootCert", raw, `${allowed}; this file holds no PEM certificate`);
  return { pem, file };
}

/**
 * The postgresql provider's `sslmode` and `sslrootcert` for a connection's TLS. lib/pq reads `sslrootcert` as a
 * file path or `system` only (the provider sets `sslinline` just for client certificates: cyrilgdn
 * terraform-provider-postgresql ff936b9 postgresql/config.go connParams 225-247), so a PEM given inline is written to
 * a file (`inlineRootCertFile`). The provider keeps the path in its inputs (provider.go 175 `sslrootcert`, a string
 * read back as given), so the path must be the same on every run, or every preview would show a provider update.
 */
export function providerTls(tls: ConnectionTls | undefined): { sslmode: string; sslrootcert?: string } {
  if (!tls || tls.mode === "disable") return { sslmode: "disable" };
  // lib/pq's prefer can fall back to plain; ours cannot (urlTls): hand it require, which is what we connect with.
  const sslmode = tls.mode === "prefer" ? "require" : tls.mode;
  if (!tls.rootCertFile) return { sslmode };
  if (tls.rootCertFile !== "inline") return { sslmode, sslrootcert: tls.rootCertFile };
  return { sslmode, sslrootcert: inlineRootCertFile(tls.rootCert ?? "") };
}

/** Where inline PEMs go: a directory of this user's own under the temporary directory. */
export function inlineRootCertDir(tmp = os.tmpdir()): string {
  return path.join(tmp, `crypto-scout-db-${typeof process.getuid === "function" ? process.getuid() : "user"}`);
}

/**
 * Writes an inline PEM to a file named by its hash, in a directory only this user can use, and returns its path: the
 * same path for the same PEM on every run, so the provider's config does not change between runs.
 *
 * The temporary directory is shared, so nothing there is trusted as found: the directory is created with mode 0700
 * (not recursively), then checked with lstat to be a real directory (not a symlink), owned by this user and closed to
 * group and others; anything else is an error naming it, and nothing is written. The file is written to a new name
 * with O_EXCL (`wx`, mode 0600), then renamed over the final name, which replaces a planted file or symlink there
 * instead of writing through it.
 */
export function inlineRootCertFile(pem: string, dir = inlineRootCertDir()): string {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const st = fs.lstatSync(dir);
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  const wrong = st.isSymbolicLink()
    ? "is a symbolic link"
    : !st.isDirectory()
      ? "is not a directory"
      : uid !== undefined && st.uid !== uid
        ? `belongs to uid ${st.uid}, not to this user (uid ${uid})`
        : (st.mode & 0o077) !== 0
          ? `is open to other users (mode ${(st.mode & 0o777).toString(8)})`
          : undefined;
  if (wrong) throw new Error(`sslRootCert: cannot write the inline PEM to a private file: ${dir} ${wrong}; remove it, or set sslRootCert to a file path`);
  const file = path.join(dir, `root-${createHash("sha256").update(pem).digest("hex").slice(0, 16)}.crt`);
  const current = fs.lstatSync(file, { throwIfNoEntry: false });
  if (current?.isFile() && fs.readFileSync(file, "utf8") === pem) return file;
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString("hex")}`;
  fs.writeFileSync(temporary, pem, { flag: "wx", mode: 0o600 });
  fs.renameSync(temporary, file);
  return file;
}
