/**
 * Readiness: nothing connects before the server accepts connections with the real credentials; the wait retries with
 * backoff up to the timeout and then fails with one clear message.
 */
import { strict as assert } from "node:assert";
import * as net from "node:net";
import { readinessProvider } from "../../components/database/providers/readiness";
import { waitForServer, type Connection } from "../../components/database/providers/live";
import { escapeRegExp, timescale } from "../support/timescale";

/** A port nothing listens on (bound once by the OS, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Listens on 127.0.0.1:`port`, forwarding every connection to the test server (a server that starts late). */
function startProxy(port: number, target: Connection): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const upstream = net.connect(target.port, target.host);
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

describe("database readiness", function () {
  this.timeout(30_000);
  let conn: Connection;
  before(async () => {
    const t = await timescale();
    conn = { host: t.host, port: t.port, database: t.database, user: t.user, password: t.password };
  });

  it("waits until the server accepts connections, retrying with backoff, then reports the server version", async () => {
    const port = await freePort();
    const started = Date.now();
    let proxy: net.Server | undefined;
    const late = setTimeout(async () => {
      proxy = await startProxy(port, conn);
    }, 300);
    // The late server, as the readiness check sees it: the test server's database and credentials behind the proxy.
    const viaProxy = { ...conn, host: "127.0.0.1", port };
    try {
      const result = await readinessProvider.create({ ...viaProxy, timeoutSeconds: 20 });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 300, `waited for the server (${elapsed} ms)`);
      assert.ok(elapsed < 5000, `and no longer than needed (${elapsed} ms)`);
      assert.match(result.outs!.serverVersion, /^17\.|^\d+\./);
      assert.equal(result.id, `${conn.user}@127.0.0.1:${port}/${conn.database}`);
      assert.deepEqual({ ...result.outs, serverVersion: undefined }, { ...viaProxy, timeoutSeconds: 20, serverVersion: undefined });
      const { attempts } = await waitForServer(viaProxy, 5);
      assert.equal(attempts, 1, "a ready server is accepted at the first attempt");
    } finally {
      clearTimeout(late);
      proxy?.close();
    }
  });

  it("fails after the timeout with the address, the user, the bound and the last error", async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(readinessProvider.create({ ...conn, host: "127.0.0.1", port, user: "crypto_scout_db", timeoutSeconds: 1 }), (e: Error) => {
      assert.match(e.message, new RegExp(`^TimescaleDB at 127\\.0\\.0\\.1:${port} did not accept connections as user crypto_scout_db within 1 s: .*ECONNREFUSED`));
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1000 && elapsed < 3000, `bounded by the timeout (${elapsed} ms)`);
  });

  it("treats a port that accepts and hangs up (Docker's proxy while initdb runs) as not ready", async () => {
    const port = await freePort();
    const hangUp = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => hangUp.listen(port, "127.0.0.1", resolve));
    try {
      await assert.rejects(waitForServer({ ...conn, port, host: "127.0.0.1" }, 1), (e: Error) => {
        assert.match(e.message, new RegExp(`^TimescaleDB at 127\\.0\\.0\\.1:${port} did not accept connections as user ${escapeRegExp(conn.user)} within 1 s: Connection terminated unexpectedly`));
        return true;
      });
    } finally {
      hangUp.close();
    }
  });

  it("re-checks on update when the address or credentials change, not otherwise", async () => {
    const olds = { ...conn, timeoutSeconds: 5, serverVersion: "17" };
    assert.deepEqual(await readinessProvider.diff!("id", olds, { ...conn, timeoutSeconds: 5 } as never), { changes: false });
    assert.deepEqual(await readinessProvider.diff!("id", olds, { ...conn, password: "rotated", timeoutSeconds: 5 } as never), { changes: true });
    assert.deepEqual(await readinessProvider.diff!("id", olds, { ...conn, timeoutSeconds: 5, revision: "container-2" } as never), { changes: true });
    const updated = await readinessProvider.update!("id", olds, { ...conn, timeoutSeconds: 5 });
    assert.match(updated.outs!.serverVersion, /^\d+\./);
  });
});
