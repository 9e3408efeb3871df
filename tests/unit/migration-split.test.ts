// splitStatements: what the Supabase CLI 2.117.0 stores in schema_migrations.statements.
// Each expectation is the CLI's output for the same text (checked against the splitter bundled
// in its binary); the quirks are expected too, since envsync must store what the CLI stores.
// tests/integration/migration-split-cli.test.ts proves a corpus against the real `db push`.

import { splitStatements } from '../../scripts/lib/migrations/split.ts';

const split = splitStatements;

describe('statements and their trimming', () => {
  test('an empty file, whitespace or semicolons alone have no statements', () => {
    expect(split('')).toEqual([]);
    expect(split(' \n\t\r\n')).toEqual([]);
    expect(split(';')).toEqual([]);
    expect(split(';;\n ; ')).toEqual([]);
  });

  test('each statement loses its `;` and surrounding whitespace; inner whitespace stays', () => {
    expect(split('  create table a (id int) ;\n\n\tselect\n  1;  \n')).toEqual([
      'create table a (id int)',
      'select\n  1',
    ]);
  });

  test('the last statement needs no `;`', () => {
    expect(split('select 1;\nselect 2')).toEqual(['select 1', 'select 2']);
    expect(split('select 1')).toEqual(['select 1']);
  });

  test('repeated semicolons make no empty statements', () => {
    expect(split('select 1;;;select 2;;')).toEqual(['select 1', 'select 2']);
  });

  test('CRLF: line ends inside a statement are kept, those around it trimmed', () => {
    expect(split('create table a (\r\n  id int\r\n);\r\n\r\ninsert into a values (1);  \t\r\n')).toEqual([
      'create table a (\r\n  id int\r\n)',
      'insert into a values (1)',
    ]);
  });

  test('a byte order mark is trimmed with the whitespace', () => {
    expect(split('\ufeff-- bom\ncreate table a (id int);')).toEqual(['-- bom\ncreate table a (id int)']);
  });

  test('non-ASCII text, including characters outside the BMP, passes through', () => {
    expect(split("insert into n values ('😀; ok', 'café');\nselect 'ü'")).toEqual([
      "insert into n values ('😀; ok', 'café')",
      "select 'ü'",
    ]);
  });
});

describe('comments', () => {
  test('a comment stays with the statement after it', () => {
    expect(split('-- leading; comment\ncreate table a (id int);\n/* block; */ select 1;')).toEqual([
      '-- leading; comment\ncreate table a (id int)',
      '/* block; */ select 1',
    ]);
  });

  test('a comment after the last `;` is a statement of its own', () => {
    expect(split('select 1;\n-- trailing; comment\n')).toEqual(['select 1', '-- trailing; comment']);
    expect(split('-- only a comment')).toEqual(['-- only a comment']);
  });

  test('a line comment hides `;` until the end of its line', () => {
    expect(split('select --; 1\n2;')).toEqual(['select --; 1\n2']);
    expect(split('select 1 -- at the end;')).toEqual(['select 1 -- at the end']);
    expect(split('select 1 -- crlf;\r\n; select 2')).toEqual(['select 1 -- crlf;', 'select 2']);
  });

  test('a single `-` is no comment', () => {
    expect(split('select 2 - 1; select 1')).toEqual(['select 2 - 1', 'select 1']);
    expect(split('- ;END')).toEqual(['-', 'END']);
  });

  test('block comments nest, hiding `;` until the outermost closes', () => {
    expect(split('select /*; /*;*/ ;*/ 1; select 2')).toEqual(['select /*; /*;*/ ;*/ 1', 'select 2']);
    expect(split('/* a /* b */ still; a */ select 1;')).toEqual(['/* a /* b */ still; a */ select 1']);
  });

  test('`/ *` opens nothing', () => {
    expect(split('/ * ; */ END')).toEqual(['/ *', '*/ END']);
  });

  test('a line comment inside a block comment does not hide its end', () => {
    expect(split('-- /* \n; */ END')).toEqual(['-- /*', '*/ END']);
  });
});

describe('quotes', () => {
  test("'…' hides `;`, and a doubled quote stays inside", () => {
    expect(split("select ';' 1; select ';'';' 2")).toEqual(["select ';' 1", "select ';'';' 2"]);
  });

  test('"…" hides `;` in identifiers, doubled quotes included', () => {
    expect(split('create table "semi;colon" ("a;b" int, "it""s" text); select 1')).toEqual([
      'create table "semi;colon" ("a;b" int, "it""s" text)',
      'select 1',
    ]);
    expect(split(`CREATE POLICY "cat's and dog's" on pets; END`)).toEqual([
      `CREATE POLICY "cat's and dog's" on pets`,
      'END',
    ]);
  });

  test("E'…' strings without an escaped quote split as they should", () => {
    expect(split("insert into t values (E'tab\\there; semi'), (E'back\\\\slash;'); select 1")).toEqual([
      "insert into t values (E'tab\\there; semi'), (E'back\\\\slash;')",
      'select 1',
    ]);
  });

  test("a backslash escapes nothing inside quotes: E'it\\'s' closes at the backslashed quote", () => {
    // The string is still open for PostgreSQL; the CLI splits at the `;` and stores two statements.
    expect(split("select E'it\\'s; here'; select 1")).toEqual(["select E'it\\'s", "here'; select 1"]);
    // Written so both agree, as in the integration corpus.
    expect(split("select E'\\'' as q /* ' */; select 1")).toEqual(["select E'\\'' as q /* ' */", 'select 1']);
  });

  test('a literal backslash at the end of a string', () => {
    expect(split("SELECT '\\'; 1'")).toEqual(["SELECT '\\'", "1'"]);
  });
});

describe('dollar quotes', () => {
  test('$$ and $tag$ bodies hide `;`, quotes and comments', () => {
    const fn =
      'create function f() returns int language plpgsql as $$\nbegin\n  -- a ; here\n  return 1;\nend;\n$$';
    expect(split(`${fn};\nselect 1;`)).toEqual([fn, 'select 1']);
    expect(split("do $do$ begin perform 'x;y'; end $do$; select 2")).toEqual([
      "do $do$ begin perform 'x;y'; end $do$",
      'select 2',
    ]);
    expect(split('$$"Dane\'s horse"$$')).toEqual(['$$"Dane\'s horse"$$']);
  });

  test('only the opening tag closes: other tags inside are text', () => {
    expect(split('select $body$ a $inner$;$inner$ b; $body$; select 1')).toEqual([
      'select $body$ a $inner$;$inner$ b; $body$',
      'select 1',
    ]);
  });

  test('tags may hold letters, digits and `_`, not other characters', () => {
    expect(split('select $tag_1$;$tag_1$; select $a-b$; select 1')).toEqual([
      'select $tag_1$;$tag_1$',
      'select $a-b$',
      'select 1',
    ]);
  });

  test('$1 parameters and a `$` in a quoted identifier open nothing', () => {
    expect(split('select $1 + $2; select 1')).toEqual(['select $1 + $2', 'select 1']);
    expect(split('SELECT "$"; $$')).toEqual(['SELECT "$"', '$$']);
  });

  test('an identifier with `$` inside opens a dollar quote, as the CLI reads it', () => {
    expect(split('select a$b$c; select 1; $b$ x; select 2')).toEqual([
      'select a$b$c; select 1; $b$ x',
      'select 2',
    ]);
  });
});

describe('parentheses and BEGIN ATOMIC', () => {
  test('`;` inside parentheses does not split (a rule with several actions)', () => {
    expect(split('CREATE RULE r AS ON UPDATE TO t DO (NOTIFY t; SELECT "1");SELECT 1')).toEqual([
      'CREATE RULE r AS ON UPDATE TO t DO (NOTIFY t; SELECT "1")',
      'SELECT 1',
    ]);
    expect(split("CREATE RULE r AS ON UPDATE TO t DO (-- )\nSELECT ')';\n-- )\n)\n")).toEqual([
      "CREATE RULE r AS ON UPDATE TO t DO (-- )\nSELECT ')';\n-- )\n)",
    ]);
  });

  test('one `)` closes every open parenthesis', () => {
    expect(split('select ((1); 2); select 3')).toEqual(['select ((1)', '2)', 'select 3']);
  });

  test('BEGIN ATOMIC … END holds its statements, in any case and spacing', () => {
    const fn =
      'CREATE FUNCTION add(a integer, b integer) RETURNS integer\nLANGUAGE SQL\nIMMUTABLE STRICT\n' +
      "BEGIN ATOMIC\n\tSELECT 'add';\n\tSELECT a + b;\nEND";
    expect(split(`${fn};\nselect 1;`)).toEqual([fn, 'select 1']);
    expect(split("begin\n\t atomic; select 'end'; end; select 1")).toEqual([
      "begin\n\t atomic; select 'end'; end",
      'select 1',
    ]);
  });

  test('END inside a comment does not close the body', () => {
    const fn = 'CREATE FUNCTION test() BEGIN\nATOMIC-- END;\n-- END;\nEND';
    expect(split(`${fn}\n;`)).toEqual([fn]);
  });

  test('atomic inside a name is no BEGIN ATOMIC', () => {
    for (const name of ['fn_atomic', 'atomic_fn', 'xatomicx', 'fn_ATomiC', 'public.atomic_example']) {
      const fn = `CREATE FUNCTION ${name}() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  NULL;\nEND;\n$$`;
      expect(split(`${fn};\nSELECT 1;`)).toEqual([fn, 'SELECT 1']);
    }
    expect(split('select begin_atomic; select mybegin atomic; select 1')).toEqual([
      'select begin_atomic',
      'select mybegin atomic',
      'select 1',
    ]);
  });

  test('any word ending in "end" closes the body, as the CLI reads it', () => {
    expect(
      split('create function f() returns int begin atomic select append(); select 1; end; select 2'),
    ).toEqual([
      'create function f() returns int begin atomic select append()',
      'select 1',
      'end',
      'select 2',
    ]);
    expect(
      split('create function g() returns int begin atomic select case when true then 1 end; end'),
    ).toEqual(['create function g() returns int begin atomic select case when true then 1 end', 'end']);
  });
});

describe('backslashes outside quotes', () => {
  test('a backslash swallows the next character, `;` included', () => {
    // The swallowed `;` then goes with the trailing ones: `\;;` is stored as `\`.
    expect(split('\\;;\\;')).toEqual(['\\', '\\']);
    expect(split('select 1 \\; select 2')).toEqual(['select 1 \\; select 2']);
    expect(split("select \\'; select 1")).toEqual(["select \\'", 'select 1']);
  });
});

test('a large file splits in linear time', () => {
  const body = `create function f() returns int language plpgsql as $$ begin return 1; end $$;\n`;
  const sql = `${body.repeat(20_000)}${'-- c\n'.repeat(20_000)}select 'x${';'.repeat(50_000)}';`;
  const started = Date.now();
  const statements = split(sql);
  expect(statements).toHaveLength(20_001);
  expect(statements.at(-1)!.endsWith(`${';'.repeat(50_000)}'`)).toBe(true);
  expect(Date.now() - started).toBeLessThan(3_000);
});
