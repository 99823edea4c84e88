/**
 * What the dynamic resources here share: connection inputs, and the rule that the password is a secret in the inputs
 * and in the state. Kept out of live.ts, which Pulumi serializes with the providers.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "pg-connection-string";
import type { Connection, ConnectionTls, SslMode } from "./live";

/** Connection inputs of a dynamic resource. */
export type ConnectionArgs = { readonly [K in keyof Connection]: pulumi.Input<Connection[K]> };

/** A dynamic resource that connects with a password: the password goes in as a secret and stays one in state. */
export abstract class ConnectedResource extends pulumi.dynamic.Resource {
  protected constructor(provider: pulumi.dynamic.ResourceProvider, name: string, args: ConnectionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...(args as pulumi.Inputs), password: pulumi.secret(args.password) },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password"] },
    );
  }
}

/**
 * Parses `postgresql://user:password@host:port/database[?sslmode=...&sslrootcert=...]` (pg's own parser for the
 * address); errors say what is expected.
 *
 * TLS follows libpq's meaning of the URL's `sslmode` and `sslrootcert` (libpq-connect.html, libpq-ssl.html), see
 * `urlTls`. The result has a `tls` field only when the URL asks for TLS settings, so a plain URL gives the same
 * connection inputs as before (no diff for existing stacks).
 */
export function parseDatabaseUrl(url: string, name = "database URL"): Connection {
  const expected = "postgresql://user:password@host:port/database";
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`${name} must look like ${expected}`);
  const { address, tls } = urlTls(url, name);
  const c = parse(address);
  if (!c.host || !c.user) throw new Error(`${name} must look like ${expected} (got host ${c.host || "none"}, user ${c.user || "none"})`);
  return {
    host: c.host,
    port: Number(c.port || 5432),
    database: c.database || "postgres",
    user: c.user,
    password: c.password ?? "",
    ...(tls ? { tls } : {}),
  };
}

/** The sslmode values libpq knows, in order of strength. */
const LIBPQ_SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;

/** TLS parameters of libpq (and pg's own) that this program does not implement: refused, never silently dropped. */
const UNSUPPORTED_SSL_PARAMS = ["ssl", "uselibpqcompat", "sslcert", "sslkey", "sslpassword", "sslcrl", "sslcrldir", "sslsni", "sslnegotiation", "sslcertmode", "sslcompression", "ssl_min_protocol_version", "ssl_max_protocol_version", "requiressl"];

/**
 * The URL's TLS settings with libpq's meaning, and the URL without them (for pg-connection-string, whose own sslmode
 * mapping is not libpq's: without `useLibpqCompat` it treats prefer, require and verify-ca as verify-full).
 *
 * Why not pg-connection-string's `useLibpqCompat` (present in the installed 2.14.1): its result holds a function
 * (`checkServerIdentity`), which cannot travel in a `Connection` (serialized into dynamic providers' inputs), and it
 * is not quite libpq: `allow` falls through to full verification, `prefer` with a root certificate does not verify
 * it, `sslrootcert=system` is read as a file named "system", and verify-* without `sslrootcert` does not look for
 * ~/.postgresql/root.crt. So the URL keeps mode and CA as data here, and `connect` (live.ts) maps them to `pg`'s
 * `ssl` option; test/database/tls.test.ts checks that mapping against `useLibpqCompat` where the two agree.
 *
 * - no `sslmode` and no `sslrootcert`: no TLS, and no `tls` field. Deliberately NOT libpq's default (`prefer`): the
 *   local container has no TLS, and this keeps today's behaviour until the stack-level sslMode setting exists.
 * - `disable`: no TLS.
 * - `allow`: refused. libpq tries a plain connection first and TLS only if the server insists; `pg` makes one attempt
 *   with a fixed choice, and picking either would silently change what the URL asked for.
 * - `prefer`: treated as `require` (TLS, no fallback). libpq would fall back to a plain connection when the server
 *   has no TLS; `pg` cannot, and failing with a clear line is never weaker than what the URL asked for.
 * - `require`: TLS without certificate checks; but, as in libpq, when a root certificate is given (or
 *   ~/.postgresql/root.crt exists) the chain is verified like `verify-ca`.
 * - `verify-ca`: TLS, chain verified against the root certificate, host name not checked.
 * - `verify-full`: TLS, chain and host name (or IP address) verified.
 * - `sslrootcert=<file>`: PEM CA certificate(s); a missing or non-PEM file is an error naming it. Without it, libpq's
 *   default ~/.postgresql/root.crt is used when it exists, and verify-* without any root certificate is an error.
 * - `sslrootcert=system` (libpq 16+): the CA store of the client's TLS library, here Node's (its bundled Mozilla list,
 *   plus NODE_EXTRA_CA_CERTS; the OpenSSL store with `node --use-openssl-ca`). As in libpq it makes verify-full the
 *   default and any weaker sslmode an error.
 * - `sslrootcert` without `sslmode`: libpq's default `prefer`, so TLS with the chain verified (see prefer/require).
 * The PGSSLMODE / PGSSLROOTCERT environment variables are not read.
 */
export function urlTls(url: string, name = "database URL"): { address: string; tls?: ConnectionTls } {
  const q = url.indexOf("?");
  if (q < 0) return { address: url };
  const params = new URLSearchParams(url.slice(q + 1).replace(/#.*$/, ""));
  for (const key of new Set(params.keys())) {
    if (UNSUPPORTED_SSL_PARAMS.includes(key.toLowerCase())) {
      throw new Error(`${name}: the URL parameter ${key} is not supported (only sslmode and sslrootcert are); remove it`);
    }
  }
  const sslmode = params.get("sslmode") ?? undefined;
  const sslrootcert = params.get("sslrootcert") ?? undefined;
  params.delete("sslmode");
  params.delete("sslrootcert");
  const rest = params.toString();
  const address = url.slice(0, q) + (rest ? `?${rest}` : "");
  if (sslmode === undefined && sslrootcert === undefined) return { address };

  if (sslmode !== undefined && !(LIBPQ_SSL_MODES as readonly string[]).includes(sslmode)) {
    throw new Error(`${name}: invalid sslmode ${JSON.stringify(sslmode)} (libpq's values: ${LIBPQ_SSL_MODES.join(", ")})`);
  }
  if (sslmode === "allow") {
    throw new Error(`${name}: sslmode=allow is not supported (libpq would try without TLS first, which the pg client cannot do); use sslmode=disable or sslmode=require`);
  }
  if (sslmode === "disable") return { address, tls: { mode: "disable" } };

  if (sslrootcert === "system") {
    if (sslmode !== undefined && sslmode !== "verify-full") {
      throw new Error(`${name}: sslrootcert=system needs sslmode=verify-full (as in libpq: a public CA vouches for anyone's host name), not sslmode=${sslmode}`);
    }
    return { address, tls: { mode: "verify-full", rootCertFile: "system" } };
  }

  const mode = (sslmode ?? "prefer") as Exclude<SslMode, "disable">;
  let file = sslrootcert;
  if (file === undefined) {
    const fallback = path.join(os.homedir(), ".postgresql", "root.crt");
    if (fs.existsSync(fallback)) file = fallback;
    else if (mode === "verify-ca" || mode === "verify-full") {
      throw new Error(`${name}: sslmode=${mode} needs a root certificate: add sslrootcert=/path/to/ca.crt (or sslrootcert=system for the system CA store); libpq's default ${fallback} does not exist`);
    }
  }
  if (file === undefined) return { address, tls: { mode } };
  let pem: string;
  try {
    pem = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${name}: sslrootcert file ${file} ${code === "ENOENT" ? "does not exist" : `cannot be read: ${(e as Error).message}`}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`${name}: sslrootcert file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return { address, tls: { mode, rootCert: pem, rootCertFile: file } };
}
