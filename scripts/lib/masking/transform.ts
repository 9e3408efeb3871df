// Masking on the way: a transform between the source's `COPY … TO STDOUT` (text format) and the
// target's `COPY … FROM STDIN`, replacing the masked columns' fields of every row. The source's
// values never reach the target — not even inside its transaction. In COPY's text format a raw
// newline only ends a row and a raw tab only separates fields (both are escaped inside values).

import { Transform } from 'node:stream';
import type { MaskStrategy } from '../results/config.ts';
import { type ColumnKind, masker } from './strategies.ts';

export interface MaskedField {
  /** The field's position in the COPY column list. */
  index: number;
  column: ColumnKind;
  strategy: MaskStrategy;
}

export class MaskTransform extends Transform {
  private carry: Buffer = Buffer.alloc(0);
  private readonly mask: ReturnType<typeof masker>;
  /** Rows that passed through (each had its masked fields replaced). */
  rows = 0;

  constructor(
    key: string,
    private readonly fields: MaskedField[],
  ) {
    super();
    this.mask = masker(key);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null, data?: Buffer) => void) {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const end = buf.lastIndexOf(10);
    if (end === -1) {
      this.carry = Buffer.from(buf);
      return done();
    }
    this.carry = Buffer.from(buf.subarray(end + 1));
    try {
      done(null, Buffer.from(this.rowsOf(buf.subarray(0, end + 1).toString('utf8')), 'utf8'));
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: (e?: Error | null, data?: Buffer) => void) {
    // A stream cut short ends without its last newline: passed on as it is (the copy fails on it).
    done(null, this.carry.length ? Buffer.from(this.rowsOf(this.carry.toString('utf8')), 'utf8') : undefined);
  }

  private rowsOf(text: string): string {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line || line === '\\.') continue;
      const f = line.split('\t');
      for (const m of this.fields) {
        if (m.index >= f.length)
          throw new Error(`a row has ${f.length} fields, fewer than the copy's columns`);
        f[m.index] = this.mask.value(m.strategy, m.column, f[m.index]!);
      }
      lines[i] = f.join('\t');
      this.rows++;
    }
    return lines.join('\n');
  }
}
