// COPY … FROM STDIN that always settles: resolves when the server has the rows,
// rejects with the server's own error (code, detail) when it refuses them.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';

type Source = Iterable<string | Buffer | Uint8Array> | AsyncIterable<string | Buffer | Uint8Array> | Readable;

/**
 * Streams `source` into a `COPY … FROM STDIN` query (not yet awaited).
 *
 * postgres.js 3.4.9 never settles the writable when the server reports an error after
 * CopyDone (porsager/postgres#1173, e.g. a duplicate key found at the end): a plain
 * pipeline would hang and sql.begin() would never roll back. The server's error still
 * reaches the query's reject, so we listen there too.
 */
export async function copyIn(query: postgres.PendingQuery<postgres.Row[]>, source: Source): Promise<void> {
  const pending = query as unknown as { reject: (error: unknown) => void };
  const original = pending.reject;
  const refused = new Promise<never>((_, reject) => {
    pending.reject = (error: unknown) => {
      reject(error);
      original(error);
    };
  });
  refused.catch(() => {}); // settled by the race below, or never needed
  const writable = await query.writable();
  const readable = source instanceof Readable ? source : Readable.from(source);
  await Promise.race([pipeline(readable, writable), refused]);
}
