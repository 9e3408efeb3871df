// Counts the rows of a COPY stream as it passes (postgres.js does not surface the COPY
// command tag of a streamed copy): text rows end in a newline (newlines inside values are
// escaped), binary tuples are walked by their field lengths. It also batches the
// server's one-message-per-row stream into large writes.

import { Transform } from 'node:stream';

const BATCH_BYTES = 256 * 1024;

export class CopyRowCounter extends Transform {
  rows = 0;
  bytes = 0;
  /** Binary: the end-of-data trailer arrived (a stream cut short never has it). */
  get complete(): boolean {
    return this.state === 'end';
  }
  private batch: Buffer[] = [];
  private batched = 0;
  private carry: Buffer = Buffer.alloc(0);
  /** Bytes of the current value (or the header extension) still to skip. */
  private skip = 0;
  private state: 'header' | 'tuple' | 'field' | 'end';
  private fieldsLeft = 0;

  constructor(
    private readonly binary: boolean,
    private readonly onBytes: (bytes: number) => void = () => {},
  ) {
    super();
    this.state = binary ? 'header' : 'tuple';
  }

  override _transform(
    chunk: Buffer,
    _enc: BufferEncoding,
    done: (e?: Error | null, data?: Buffer) => void,
  ): void {
    this.bytes += chunk.length;
    this.onBytes(this.bytes);
    if (this.binary) this.walk(chunk);
    else for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.rows++;
    // The server sends one message per row: batch them, or every row becomes a write.
    this.batch.push(chunk);
    this.batched += chunk.length;
    if (this.batched >= BATCH_BYTES) this.release();
    done();
  }

  override _flush(done: (e?: Error | null) => void): void {
    this.release();
    done();
  }

  private release(): void {
    if (!this.batched) return;
    this.push(this.batch.length === 1 ? this.batch[0] : Buffer.concat(this.batch, this.batched));
    this.batch = [];
    this.batched = 0;
  }

  private walk(chunk: Buffer): void {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - pos);
        this.skip -= n;
        pos += n;
        if (this.skip > 0) break;
      }
      if (this.state === 'end') {
        pos = buf.length;
        break;
      }
      const need = this.state === 'header' ? 19 : this.state === 'tuple' ? 2 : 4;
      if (buf.length - pos < need) break;
      if (this.state === 'header') {
        this.skip = buf.readInt32BE(pos + 15); // header extension length
        pos += 19;
        this.state = 'tuple';
      } else if (this.state === 'tuple') {
        const fields = buf.readInt16BE(pos);
        pos += 2;
        if (fields === -1) this.state = 'end';
        else {
          this.rows++;
          this.fieldsLeft = fields;
          this.state = fields > 0 ? 'field' : 'tuple';
        }
      } else {
        const len = buf.readInt32BE(pos);
        pos += 4;
        if (len > 0) this.skip = len;
        if (--this.fieldsLeft === 0) this.state = 'tuple';
      }
    }
    this.carry = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
  }
}
