// Streaming AES-256-GCM for backup files: plaintext never touches disk, and any
// change to the file (or a wrong key) is detected when it is read.
//
// File layout: "ESGCM001" (8) | scrypt salt (16) | IV (12) | ciphertext | GCM tag (16).

import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { PassThrough, type Readable, Transform } from 'node:stream';

const MAGIC = Buffer.from('ESGCM001');
const HEADER = MAGIC.length + 16 + 12;
const TAG = 16;

/** BACKUP_ENCRYPTION_KEY's rule: scrypt stretches any secret, but a short one is still guessable. */
export const MIN_ENCRYPTION_KEY_LENGTH = 16;

/** What is wrong with a BACKUP_ENCRYPTION_KEY value, or undefined when it will do. */
export function encryptionKeyProblem(secret: string): string | undefined {
  return secret.length < MIN_ENCRYPTION_KEY_LENGTH
    ? `shorter than ${MIN_ENCRYPTION_KEY_LENGTH} characters`
    : undefined;
}

function deriveKey(secret: string, salt: Buffer): Buffer {
  return scryptSync(secret, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}

/** A transform that encrypts what flows through it into the layout above. */
export function encryptStream(secret: string): Transform {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret, salt), iv);
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (!started) {
        this.push(Buffer.concat([MAGIC, salt, iv]));
        started = true;
      }
      done(null, cipher.update(chunk));
    },
    flush(done) {
      if (!started) this.push(Buffer.concat([MAGIC, salt, iv]));
      this.push(cipher.final());
      done(null, cipher.getAuthTag());
    },
  });
}

export function isEncryptedFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length);
    return readSync(fd, head, 0, MAGIC.length, 0) === MAGIC.length && head.equals(MAGIC);
  } finally {
    closeSync(fd);
  }
}

export class DecryptionError extends Error {}

/**
 * The plaintext of an encrypted file, streamed. The stream errors (DecryptionError) at
 * its end if the file was altered or the key is wrong: consume it fully and check
 * before trusting what came out.
 */
export function decryptFile(file: string, secret: string): Readable {
  const fd = openSync(file, 'r');
  const size = fstatSync(fd).size;
  const head = Buffer.alloc(HEADER);
  const tag = Buffer.alloc(TAG);
  const okHead = size >= HEADER + TAG && readSync(fd, head, 0, HEADER, 0) === HEADER;
  if (okHead) readSync(fd, tag, 0, TAG, size - TAG);
  closeSync(fd);
  const out = new PassThrough();
  if (!okHead || !head.subarray(0, MAGIC.length).equals(MAGIC)) {
    process.nextTick(() =>
      out.destroy(new DecryptionError(`${file} is not an envsync encrypted file (or is truncated)`)),
    );
    return out;
  }
  const salt = head.subarray(MAGIC.length, MAGIC.length + 16);
  const iv = head.subarray(MAGIC.length + 16, HEADER);
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(secret, salt), iv);
  decipher.setAuthTag(tag);
  const body =
    size - TAG - 1 >= HEADER ? createReadStream(file, { start: HEADER, end: size - TAG - 1 }) : null;
  const fail = (e: unknown) =>
    out.destroy(
      new DecryptionError(
        `${file} failed authentication: altered, truncated, or the key is wrong (${(e as Error).message})`,
      ),
    );
  if (!body) {
    try {
      decipher.final();
      out.end();
    } catch (e) {
      process.nextTick(() => fail(e));
    }
    return out;
  }
  body.on('data', (chunk) => {
    if (!out.write(decipher.update(chunk as Buffer))) body.pause();
  });
  out.on('drain', () => body.resume());
  body.on('error', fail);
  body.on('end', () => {
    try {
      const last = decipher.final();
      if (last.length) out.write(last);
      out.end();
    } catch (e) {
      fail(e);
    }
  });
  return out;
}
