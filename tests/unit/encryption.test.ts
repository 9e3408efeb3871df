// Backup encryption: round trip, and any flipped byte or wrong key is detected.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DecryptionError,
  decryptFile,
  encryptStream,
  isEncryptedFile,
} from '../../scripts/lib/backup/encryption.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'envsync-enc-'));
const plain = randomBytes(3 * 1024 * 1024 + 17);
const file = path.join(dir, 'x.enc');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  await pipeline(
    Readable.from([plain.subarray(0, 1000), plain.subarray(1000)]),
    encryptStream('correct horse'),
    createWriteStream(file),
  );
});

test('round trip, and the file holds no plaintext', async () => {
  expect(isEncryptedFile(file)).toBe(true);
  const back = await readAll(decryptFile(file, 'correct horse'));
  expect(createHash('sha256').update(back).digest('hex')).toBe(
    createHash('sha256').update(plain).digest('hex'),
  );
  expect(readFileSync(file).includes(plain.subarray(5000, 5064))).toBe(false);
});

test.each([
  ['in the header', 20],
  ['in the middle', 1_500_000],
  ['in the tag', -3],
])('a flipped byte %s is detected', async (_where, at) => {
  const bytes = readFileSync(file);
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = bytes[i]! ^ 0x01;
  const tampered = path.join(dir, `tampered-${i}.enc`);
  writeFileSync(tampered, bytes);
  await expect(readAll(decryptFile(tampered, 'correct horse'))).rejects.toBeInstanceOf(DecryptionError);
});

test('a wrong key is detected', async () => {
  await expect(readAll(decryptFile(file, 'wrong horse'))).rejects.toThrow(/failed authentication/);
});

test('a truncated or foreign file is refused', async () => {
  const short = path.join(dir, 'short.enc');
  writeFileSync(short, readFileSync(file).subarray(0, 30));
  await expect(readAll(decryptFile(short, 'correct horse'))).rejects.toThrow(/not an envsync encrypted file/);
  const cut = path.join(dir, 'cut.enc');
  writeFileSync(cut, readFileSync(file).subarray(0, 100_000));
  await expect(readAll(decryptFile(cut, 'correct horse'))).rejects.toBeInstanceOf(DecryptionError);
});

test('an empty input encrypts and decrypts to empty', async () => {
  const empty = path.join(dir, 'empty.enc');
  await pipeline(Readable.from([]), encryptStream('k'), createWriteStream(empty));
  expect((await readAll(decryptFile(empty, 'k'))).length).toBe(0);
});
