// pg_restore's SQL on its way to psql, entry by entry: drops the entries the connecting
// role may not run (owned by roles it cannot act as), rewrites `CREATE SCHEMA` of schemas
// the target keeps, and remembers on which line of psql's input each entry starts, so a
// failing line names its object. COPY data passes through without per-line work.

import { Transform, type TransformCallback } from 'node:stream';
import { JobError } from '../base/errors.ts';
import { type DumpEntry, HEADER } from './dump-entries.ts';

export type EntryHeader = Omit<DumpEntry, 'sql'>;

/** A psql meta-command in SQL meant for psql: refused, never run. */
export class MetaCommandError extends JobError {
  constructor(line: string) {
    super(
      `the backup's SQL holds a psql meta-command (${line.slice(0, 40)}): refused`,
      'a dump never holds one; the backup was altered — restore an intact one; nothing was changed',
    );
  }
}

export interface DumpStreamOptions {
  /** Whether an entry is sent to psql at all. */
  keep(entry: EntryHeader): boolean;
  /** A line of a kept entry's SQL as sent (e.g. `CREATE SCHEMA` → `… IF NOT EXISTS`). */
  rewrite?(entry: EntryHeader, line: string): string;
  /** psql input lines already written before this stream's first line. */
  startLine?: number;
}

const NL = 0x0a;
const COPY_START = /^COPY .+ FROM stdin;$/;
const COPY_END = Buffer.from('\\.\n');

export class DumpStream extends Transform {
  /** Every entry header seen, with the psql input line it starts on (kept entries only). */
  readonly headers: EntryHeader[] = [];
  /** Lines written so far (psql's input line numbers continue from here). */
  lines: number;
  /** psql input lines written before this stream's first line. */
  readonly startLine: number;
  private carry: Buffer = Buffer.alloc(0);
  private inCopy = false;
  private current: EntryHeader | null = null;
  private keeping = true;
  private pending: string[] = [];

  constructor(private readonly o: DumpStreamOptions) {
    super();
    this.startLine = o.startLine ?? 0;
    this.lines = this.startLine;
  }

  /** The entry a line of psql's input belongs to. */
  entryAt(line: number): EntryHeader | undefined {
    let found: EntryHeader | undefined;
    for (const h of this.headers) {
      if (h.line > line) break;
      found = h;
    }
    return found;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.consume(this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.carry.length) this.consume(Buffer.concat([this.carry, Buffer.from('\n')]));
    for (const l of this.pending.splice(0)) this.emitLine(l);
    done();
  }

  private consume(buf: Buffer): void {
    let pos = 0;
    while (pos < buf.length) {
      if (this.inCopy) {
        // Find the `\.` line that ends the data; pass whole lines through untouched.
        let end = -1;
        for (let i = buf.indexOf(COPY_END, pos); i !== -1; i = buf.indexOf(COPY_END, i + 1)) {
          if (i === 0 || buf[i - 1] === NL) {
            end = i;
            break;
          }
        }
        const stop = end === -1 ? buf.lastIndexOf(NL) + 1 : end + COPY_END.length;
        if (stop <= pos) break; // no complete line yet
        this.passBytes(buf.subarray(pos, stop));
        pos = stop;
        if (end !== -1) this.inCopy = false;
        continue;
      }
      const nl = buf.indexOf(NL, pos);
      if (nl === -1) break;
      this.sqlLine(buf.toString('utf8', pos, nl));
      pos = nl + 1;
    }
    this.carry = Buffer.from(buf.subarray(pos));
  }

  private passBytes(bytes: Buffer): void {
    if (!this.keeping) return;
    let n = 0;
    for (let i = bytes.indexOf(NL); i !== -1; i = bytes.indexOf(NL, i + 1)) n++;
    this.lines += n;
    this.push(bytes);
  }

  private emitLine(line: string): void {
    if (!this.keeping) return;
    // The caller's lock_timeout stays: pg_restore's preamble would turn it off.
    if (
      !this.current &&
      /^SET (lock_timeout|statement_timeout|idle_in_transaction_session_timeout) =/.test(line)
    )
      return;
    this.lines++;
    this.push(`${this.current && this.o.rewrite ? this.o.rewrite(this.current, line) : line}\n`);
  }

  /** A line outside COPY data: headers are `--`, `-- Name: …`, `--`. */
  private sqlLine(line: string): void {
    const p = this.pending;
    if (p.length === 0 && line === '--') {
      p.push(line);
      return;
    }
    if (p.length === 1 && HEADER.test(line)) {
      p.push(line);
      return;
    }
    if (p.length === 2 && line === '--') {
      const m = HEADER.exec(p[1]!)!;
      const dash = (s: string) => (s === '-' || s === '' ? null : s);
      const header: EntryHeader = {
        name: m[1]!,
        kind: m[2]!,
        schema: dash(m[3]!),
        owner: dash(m[4]!),
        line: this.lines + 2,
      };
      this.pending = [];
      this.current = header;
      this.keeping = this.o.keep(header);
      if (this.keeping) this.headers.push(header);
      this.emitLine(p[0]!);
      this.emitLine(p[1]!);
      this.emitLine(line);
      return;
    }
    for (const l of p.splice(0)) this.emitLine(l);
    if (line === '--') {
      this.sqlLine(line);
      return;
    }
    // psql would run a meta-command (`\!` runs a shell) with the job's environment: a dump has
    // none but pg_dump ≥ 17.6's \restrict lines, which are dropped.
    if (line.startsWith('\\')) {
      if (/^\\(un)?restrict\b/.test(line)) return;
      this.destroy(new MetaCommandError(line));
      return;
    }
    this.emitLine(line);
    if (COPY_START.test(line)) this.inCopy = true;
  }
}
