/**
 * COPY ... FROM STDIN with the `pg` client, which has no COPY API of its own: the query is driven through pg's
 * protocol hooks, as pg-copy-streams does, without adding that dependency for one test helper.
 */
import type { Client } from "pg";

/** COPY ... FROM STDIN of `data` through pg's protocol hooks (what pg-copy-streams does); the row count. */
export function copyFrom(c: Client, sql: string, data: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let rows = 0;
    const submittable = {
      submit: (connection: { query(text: string): void }) => connection.query(sql),
      handleCopyInResponse: (connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }) => {
        connection.sendCopyFromChunk(Buffer.from(data, "utf8"));
        connection.endCopyFrom();
      },
      handleCommandComplete: (msg: { text: string }) => {
        rows = Number(/(\d+)$/.exec(msg.text)?.[1] ?? 0);
      },
      // pg drops the active query on an error (no ReadyForQuery reaches it then), as it does for its own queries.
      handleError: (e: Error) => reject(e),
      handleReadyForQuery: () => resolve(rows),
      handleRowDescription: () => undefined,
      handleDataRow: () => undefined,
      handleEmptyQuery: () => undefined,
      handlePortalSuspended: () => undefined,
      handleCopyData: () => undefined,
    };
    c.query(submittable as never);
  });
}

