// PostgreSQL's own parser (libpg-query, a WASM build: nothing native to compile or download)
// behind one small interface: each statement's parse node and where it stands in the file.

import { parse } from 'libpg-query';

export interface SourcePosition {
  /** Character offset in the text (JavaScript string index). */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based, in characters. */
  column: number;
}

export interface ParsedStatement {
  /** The parse node's type, e.g. `IndexStmt`, `AlterEnumStmt`, `TransactionStmt`. */
  kind: string;
  /** The node under `kind`, as libpg-query gives it (JSON of PostgreSQL's parse tree). */
  node: Record<string, unknown>;
  /** The statement as written, comments before it and the `;` after it left out. */
  text: string;
  /** Where `text` starts. */
  start: SourcePosition;
}

/** Text PostgreSQL's grammar refuses, with where. */
export class SqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: SourcePosition,
  ) {
    super(message);
    this.name = 'SqlSyntaxError';
  }
}

/** The position of character `offset` in `text`. */
export function positionAt(text: string, offset: number): SourcePosition {
  return lineIndex(text)(offset);
}

/** Positions of many offsets in one text without rescanning it for each (files of thousands of statements). */
function lineIndex(text: string): (offset: number) => SourcePosition {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

/** Leading whitespace and comments (`--` lines, `/* … *\/` blocks, nested) of a statement's text. */
function leadingTrivia(text: string): number {
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('--', i)) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
    } else if (text.startsWith('/*', i)) {
      let depth = 0;
      while (i < text.length) {
        if (text.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (text.startsWith('*/', i)) {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
    } else return i;
  }
}

/** Every statement of `sql`; a syntax error throws SqlSyntaxError with its line and column. */
export async function parseStatements(sql: string): Promise<ParsedStatement[]> {
  const bytes = Buffer.from(sql, 'utf8');
  const at = lineIndex(sql);
  // The parser counts bytes; JavaScript strings count UTF-16 units. ASCII text needs no mapping.
  const ascii = bytes.length === sql.length;
  const charAt = (byte: number) => (ascii ? byte : bytes.subarray(0, byte).toString('utf8').length);
  let tree: {
    stmts?: { stmt: Record<string, Record<string, unknown>>; stmt_location?: number; stmt_len?: number }[];
  };
  try {
    tree = await parse(sql);
  } catch (error) {
    const e = error as Error & { sqlDetails?: { cursorPosition?: number } };
    const cursor = e.sqlDetails?.cursorPosition ?? 0; // 0-based, in bytes
    throw new SqlSyntaxError(e.message, at(charAt(cursor)));
  }
  return (tree.stmts ?? []).map((s) => {
    const from = s.stmt_location ?? 0;
    const to = s.stmt_len ? from + s.stmt_len : bytes.length;
    const raw = bytes.subarray(from, to).toString('utf8');
    const skip = leadingTrivia(raw);
    const offset = charAt(from) + skip;
    const [kind, node] = Object.entries(s.stmt)[0]!;
    return { kind, node, text: raw.slice(skip).trimEnd(), start: at(offset) };
  });
}
