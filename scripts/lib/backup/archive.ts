// Writes a dump stream to disk (encrypted when a key is given) while hashing and
// counting exactly the bytes that land in the file; reads it back for pg_restore.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decryptFile, encryptStream } from './encryption.ts';

export interface WrittenArchive {
  bytes: number;
  sha256: string;
}

export async function writeArchive(
  source: Readable,
  file: string,
  options: { secret?: string; onBytes?: (bytes: number) => void } = {},
): Promise<WrittenArchive> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      options.onBytes?.(bytes);
      done(null, chunk);
    },
  });
  const out = createWriteStream(file, { mode: 0o600 });
  if (options.secret) await pipeline(source, encryptStream(options.secret), tap, out);
  else await pipeline(source, tap, out);
  return { bytes, sha256: hash.digest('hex') };
}

/** sha256 of a file as stored. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The archive's plaintext (decrypted when encrypted). */
export function readArchive(file: string, encrypted: boolean, secret?: string): Readable {
  if (!encrypted) return createReadStream(file);
  return decryptFile(file, secret ?? '');
}
