// The Supabase CLI's statement splitter, ported: what `supabase db push` stores in
// supabase_migrations.schema_migrations.statements for a migration file, byte for byte.
//
// Ported from the CLI 2.117.0 as it runs: its TypeScript port of pkg/parser (bundled in the
// binary; the Go original, apps/cli-go/pkg/parser/{token,state}.go, agrees but for Unicode
// edge cases: Go trims with unicode.IsSpace, JavaScript's trim() also strips U+FEFF and keeps
// U+0085). It is not PostgreSQL's lexer, and its mistakes are kept on purpose, because a
// statement split differently is a history row the CLI would not recognise:
// - a backslash outside quotes swallows the next character (`\;` does not split);
// - inside '…' a backslash escapes nothing, so E'it\'s' ends at the second quote;
// - `$` followed by letters or digits and another `$` opens a dollar quote, even in `a$b$`;
// - `(` … `)` and BEGIN ATOMIC … END hold `;`, but END matches any word ending in "end"
//   (`append`, a CASE's END) and one `)` closes every open parenthesis;
// - `/*/` opens and closes a comment.

/** The statement being read: `sql.slice(start, end)`, `end` just past the current character. */
interface Scan {
  readonly sql: string;
  start: number;
  end: number;
}

/** The last `length` characters (UTF-16 units, as the CLI counts) of the statement so far. */
const tail = (scan: Scan, length: number): string =>
  scan.sql.slice(Math.max(scan.start, scan.end - length), scan.end);

/** One state of the CLI's tokenizer; `null` ends the statement at the current `;`. */
interface State {
  next(char: string, scan: Scan): State | null;
}

// A Ready state holds nothing, so one instance serves every statement.
class Ready implements State {
  next(char: string, scan: Scan): State | null {
    switch (char) {
      case '$':
        return new Tag(scan.end - char.length);
      case "'":
      case '"':
        return new Quoted(char);
      case '-':
        return new Dash();
      case '/':
        return new Slash();
      case '\\':
        return new Escaped();
      case ';':
        return null;
      case '(':
        return new Nested(ready, ')');
      case 'c':
      case 'C':
        return endsWithBeginAtomic(scan) ? new Nested(ready, 'END') : this;
      default:
        return this;
    }
  }
}
const ready = new Ready();

/** A `-`: a second one opens a line comment, closed by the next newline. */
class Dash implements State {
  next(char: string, scan: Scan): State | null {
    return char === '-' ? new Closer('\n') : ready.next(char, scan);
  }
}

/** A `/`: `/*` opens a block comment; nested ones count until their `*\/`. */
class Slash implements State {
  private depth = 0;
  next(char: string, scan: Scan): State | null {
    const window = tail(scan, 2);
    if (window === '/*') {
      this.depth += 1;
      return this;
    }
    if (this.depth === 0) return ready.next(char, scan);
    if (window === '*/') {
      this.depth -= 1;
      if (this.depth === 0) return ready;
    }
    return this;
  }
}

/** Inside '…' or "…": a doubled delimiter stays inside; nothing else escapes. */
class Quoted implements State {
  private closing = false;
  constructor(private readonly delimiter: string) {}
  next(char: string, scan: Scan): State | null {
    if (this.closing) {
      if (char === this.delimiter) {
        this.closing = false;
        return this;
      }
      return ready.next(char, scan);
    }
    if (char === this.delimiter) this.closing = true;
    return this;
  }
}

/** Inside a dollar quote or a line comment: everything up to `delimiter` is text. */
class Closer implements State {
  constructor(private readonly delimiter: string) {}
  next(_char: string, scan: Scan): State | null {
    return tail(scan, this.delimiter.length) === this.delimiter ? ready : this;
  }
}

/** After a `$`: letters, digits and `_` make a tag; the next `$` opens the dollar quote. */
class Tag implements State {
  constructor(private readonly dollarAt: number) {}
  next(char: string, scan: Scan): State | null {
    if (char === '$') return new Closer(scan.sql.slice(this.dollarAt, scan.end));
    if (/[\p{L}\p{Nd}_]/u.test(char)) return this;
    return ready.next(char, scan);
  }
}

/** After a `\`: the next character is skipped, whatever it is. */
class Escaped implements State {
  next(): State | null {
    return ready;
  }
}

/** Inside `(` … `)` or BEGIN ATOMIC … END: `;` does not split until `delimiter` is read outside quotes. */
class Nested implements State {
  constructor(
    private inner: State,
    private readonly delimiter: string,
  ) {}
  next(char: string, scan: Scan): State | null {
    const inner = this.inner.next(char, scan);
    if (inner !== null) this.inner = inner;
    if (this.inner instanceof Ready) {
      if (tail(scan, this.delimiter.length).toUpperCase() === this.delimiter.toUpperCase()) return ready;
    }
    return this;
  }
}

const identifierUnit = (unit: string | undefined): boolean =>
  unit !== undefined && /[\p{L}\p{Nd}_$]/u.test(unit);

/**
 * Whether the statement so far ends with the words BEGIN ATOMIC (any case, any whitespace
 * between), checked on each `c`. ATOMIC is not reserved, so a column named atomic after a
 * column named begin fools it, as it fools the CLI.
 */
function endsWithBeginAtomic(scan: Scan): boolean {
  const { sql, start } = scan;
  let at = scan.end - 'ATOMIC'.length;
  if (at < start || sql.slice(at, scan.end).toUpperCase() !== 'ATOMIC') return false;
  if (at > start && identifierUnit(sql[at - 1])) return false;
  let end = at;
  while (end > start && /\s/u.test(sql[end - 1]!)) end--;
  at = end - 'BEGIN'.length;
  if (at < start || sql.slice(at, end).toUpperCase() !== 'BEGIN') return false;
  return at === start || !identifierUnit(sql[at - 1]);
}

/** A statement as the CLI stores it: trailing `;`s dropped, then whitespace trimmed. */
function trimStatement(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === ';') end--;
  return text.slice(0, end).trim();
}

/**
 * The statements the Supabase CLI stores for a migration file's text: split at each `;` outside
 * quotes, comments and bodies, each trimmed of its `;` and surrounding whitespace, empty ones
 * dropped. Comments stay with the statement they precede; a comment after the last `;` is a
 * statement of its own.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  const keep = (text: string) => {
    const statement = trimStatement(text);
    if (statement.length > 0) statements.push(statement);
  };
  const scan: Scan = { sql, start: 0, end: 0 };
  let state: State = ready;
  // By code point, as the CLI walks the file (Array.from): a surrogate pair is one character.
  while (scan.end < sql.length) {
    const width = sql.codePointAt(scan.end)! > 0xffff ? 2 : 1;
    const char = sql.slice(scan.end, scan.end + width);
    scan.end += width;
    const next = state.next(char, scan);
    if (next === null) {
      keep(sql.slice(scan.start, scan.end));
      scan.start = scan.end;
      state = ready;
    } else state = next;
  }
  if (scan.start < sql.length) keep(sql.slice(scan.start));
  return statements;
}
