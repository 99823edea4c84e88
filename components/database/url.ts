/**
 * Connection URLs, built one way everywhere: the WHATWG `URL` class checks the host (IPv6 in brackets) and port, and
 * user, password and database go in percent-encoded with `encodeURIComponent` (the URL setters alone leave `%`, `&`,
 * `=` and `+` as they are, which `pg` would then decode into something else). Parsed back by `pg`'s own parser
 * (`parseDatabaseUrl` in providers/connection.ts). Pure: also used by the serialized providers.
 */

/** What a URL names. */
export interface UrlParts {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
}

/** `host:port`, with an IPv6 host in brackets: how messages name a server (never throws, even for a bad host). */
export function hostPort(c: Pick<UrlParts, "host" | "port">): string {
  return `${bracketed(c.host)}:${c.port}`;
}

/**
 * `postgresql://user:password@host:port/database`, every part encoded; with TLS settings, their libpq parameters
 * (`?sslmode=verify-full&sslrootcert=system`), so a client given the URL connects the way the stack does. A PEM given
 * inline has no file to name: the URL then carries sslmode only.
 */
export function databaseUrl(c: UrlParts & { readonly tls?: { readonly mode: string; readonly rootCertFile?: string } }): string {
  const url = new URL(`postgresql://${bracketed(c.host)}:${c.port}`);
  url.username = encodeURIComponent(c.user);
  url.password = encodeURIComponent(c.password);
  url.pathname = `/${encodeURIComponent(c.database)}`;
  if (c.tls) {
    url.searchParams.set("sslmode", c.tls.mode);
    if (c.tls.rootCertFile && c.tls.rootCertFile !== "inline") url.searchParams.set("sslrootcert", c.tls.rootCertFile);
  }
  return url.href;
}

function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
