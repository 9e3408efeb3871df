// The COPY row counter: rows counted and the binary trailer seen however the stream is
// cut into chunks; a stream cut short is never complete.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CopyRowCounter } from '../../scripts/lib/db/row-counter.ts';

const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
/** A binary COPY stream (PostgreSQL's documented format) of `rows` tuples: an int4, a NULL, a text. */
function binaryCopy(rows: number, trailer = true): Buffer {
  const parts = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), int32(0), int32(3), Buffer.from('ext')];
  for (let i = 0; i < rows; i++) {
    const text = Buffer.from(`row ${i} ${'x'.repeat(i % 7)}`);
    parts.push(int16(3), int32(4), int32(i), int32(-1), int32(text.length), text);
  }
  if (trailer) parts.push(int16(-1));
  return Buffer.concat(parts);
}

async function count(data: Buffer, chunk: number, binary: boolean) {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) chunks.push(data.subarray(i, i + chunk));
  const counter = new CopyRowCounter(binary);
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), counter, async (source) => {
    for await (const c of source) out.push(c as Buffer);
  });
  return { rows: counter.rows, complete: counter.complete, bytes: counter.bytes, passed: Buffer.concat(out) };
}

test.each([1, 2, 3, 5, 17, 4096])(
  'binary: 250 rows counted in %i-byte chunks, bytes passed through unchanged',
  async (chunk) => {
    const data = binaryCopy(250);
    const r = await count(data, chunk, true);
    expect(r).toMatchObject({ rows: 250, complete: true, bytes: data.length });
    expect(r.passed.equals(data)).toBe(true);
  },
);

test('binary: a stream without its trailer is not complete', async () => {
  const cut = binaryCopy(250, false);
  expect(await count(cut, 100, true)).toMatchObject({ rows: 250, complete: false });
  expect(await count(binaryCopy(250).subarray(0, 2000), 64, true)).toMatchObject({ complete: false });
});

test('text: one row per newline (newlines inside values arrive escaped)', async () => {
  const data = Buffer.from('1\ta\\nb\n2\t\\N\n3\tc\n');
  expect(await count(data, 2, false)).toMatchObject({ rows: 3 });
});
