// Masking's pure pieces: the config section, each strategy's values, the COPY-stream rewrite and
// the rules resolved against a catalog. The end-to-end proof on real clusters is
// tests/integration/masking.test.ts.

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InputErrors } from '../../scripts/lib/base/errors.ts';
import type { Column, Inventory } from '../../scripts/lib/catalog/model.ts';
import { loadConfig, type MaskingConfig } from '../../scripts/lib/cli/config.ts';
import { maskedColumns, resolveMasking } from '../../scripts/lib/masking/rules.ts';
import { type ColumnKind, masker, unsupported } from '../../scripts/lib/masking/strategies.ts';
import { MaskTransform } from '../../scripts/lib/masking/transform.ts';
import { shownUrls } from '../../scripts/lib/sync/neutralize.ts';
import { col, tableOf } from '../fixtures/results/inventory.ts';

const KEY = 'unit-test-masking-key-0123456789';
const text = (name: string, type = 'text', notNull = false): ColumnKind => ({ name, type, notNull });

describe('envsync.yaml masking and side_effects', () => {
  const load = (yaml: string) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'envsync-mask-config-')), 'envsync.yaml');
    writeFileSync(file, yaml);
    return loadConfig(file);
  };

  test('every strategy is read; side effects default to disabled', () => {
    const c = load(`masking:
  personal: [auth.users]
  rules:
    auth.users.email: email
    auth.users.phone: phone
    auth.users.name: name
    auth.users.token: hash
    auth.users.secret: "null"
    auth.users.note: "constant:n/a"
    auth.users.city: fake
    auth.users.id: keep
    auth.users.meta: "sql:'{}'::jsonb"
    "*.*.ip_address": fake
`);
    expect(c.masking!.personal).toEqual(['auth.users']);
    expect(c.masking!.rules.map((r) => [r.pattern, r.strategy])).toEqual([
      ['auth.users.email', { kind: 'email' }],
      ['auth.users.phone', { kind: 'phone' }],
      ['auth.users.name', { kind: 'name' }],
      ['auth.users.token', { kind: 'hash' }],
      ['auth.users.secret', { kind: 'null' }],
      ['auth.users.note', { kind: 'constant', value: 'n/a' }],
      ['auth.users.city', { kind: 'fake' }],
      ['auth.users.id', { kind: 'keep' }],
      ['auth.users.meta', { kind: 'sql', expression: "'{}'::jsonb" }],
      ['*.*.ip_address', { kind: 'fake' }],
    ]);
    expect(c.sideEffects).toEqual({
      webhooks: 'disable',
      cron: 'disable',
      subscriptions: 'disable',
      rewrite: null,
    });
  });

  test('every problem at once, each naming its key', () => {
    let error: unknown;
    try {
      load(`masking:
  personal: [users, "public.*"]
  rules:
    public.users: email
    public.users.email: shout
    public.users.name:
side_effects:
  webhooks: rewrite
  cron: pause
`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputErrors);
    expect((error as InputErrors).problems.map((p) => p.message.replace(/^\S+: /, ''))).toEqual([
      'masking.personal: name tables as schema.table, not users',
      'masking.personal: name tables as schema.table, not public.*',
      'masking.rules.public.users: name columns as schema.table.column (each part may be *)',
      'masking.rules.public.users.email: email, phone, name, hash, null, fake, keep, constant:<value> or sql:<expression>, not shout',
      'masking.rules.public.users.name: a strategy name',
      'side_effects.cron: disable or rewrite or keep, not pause',
      'side_effects: rewrite needs side_effects.rewrite: { from: <production URL prefix>, to: <its replacement> }',
    ]);
  });
});

describe('strategies', () => {
  const m = masker(KEY);
  const other = masker(`${KEY}!`);

  test('deterministic per key, different across keys, NULL stays NULL', () => {
    for (const kind of ['email', 'phone', 'name', 'hash', 'fake'] as const) {
      const c = text('email');
      const a = m.value({ kind }, c, 'ana@corp.example');
      expect(m.value({ kind }, c, 'ana@corp.example')).toBe(a);
      expect(other.value({ kind }, c, 'ana@corp.example')).not.toBe(a);
      expect(m.value({ kind }, c, 'bo@corp.example')).not.toBe(a);
      expect(m.value({ kind }, c, '\\N')).toBe('\\N');
    }
  });

  test('values of the right shape for their kind and column type', () => {
    expect(m.value({ kind: 'email' }, text('e'), 'x@y.z')).toMatch(/^user\.[0-9a-f]{16}@example\.com$/);
    expect(m.value({ kind: 'phone' }, text('p'), '+15551234567')).toMatch(/^\+999\d{12}$/);
    expect(m.value({ kind: 'name' }, text('n'), 'Real Person')).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
    expect(m.value({ kind: 'hash' }, text('u', 'uuid'), 'k')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(BigInt(m.value({ kind: 'hash' }, text('i', 'integer'), '7'))).toBeLessThan(2n ** 31n);
    expect(m.value({ kind: 'hash' }, text('v', 'character varying(12)'), 'secret')).toHaveLength(12);
    expect(m.value({ kind: 'hash' }, text('b', 'bytea'), '\\\\x00')).toMatch(/^\\\\x[0-9a-f]{64}$/);
    expect(m.value({ kind: 'fake' }, text('ip', 'inet'), '203.0.113.9')).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(m.value({ kind: 'fake' }, text('birth', 'date'), '1984-05-06')).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(m.value({ kind: 'fake' }, text('street_address'), '1 Main St')).toMatch(
      /^\d+ [A-Z][a-z]+ Street$/,
    );
    expect(m.value({ kind: 'fake' }, text('city'), 'Bogotá')).toMatch(/^[A-Z][a-z]+$/);
    expect(m.value({ kind: 'null' }, text('s'), 'secret')).toBe('\\N');
    // A constant is written in COPY's text format: its tabs and backslashes escaped.
    expect(m.value({ kind: 'constant', value: 'a\tb\\c' }, text('c'), 'x')).toBe('a\\tb\\\\c');
    expect(m.value({ kind: 'keep' }, text('k'), 'as is')).toBe('as is');
  });

  test.each([
    [
      { kind: 'email' as const },
      text('c', 'timestamp with time zone'),
      'email writes text, and the column is timestamp with time zone',
    ],
    [
      { kind: 'phone' as const },
      text('c', 'character varying(10)'),
      'phone needs 16 characters, and the column is character varying(10)',
    ],
    [{ kind: 'null' as const }, text('c', 'text', true), 'the column is NOT NULL'],
    [{ kind: 'hash' as const }, text('c', 'numeric'), 'hash cannot make a numeric'],
    [{ kind: 'fake' as const }, text('c', 'boolean'), 'fake has no realistic boolean'],
  ])('%j refused on %j', (strategy, column, why) => {
    expect(unsupported(strategy, column)).toBe(why);
  });
});

describe('the COPY stream rewrite', () => {
  const run = async (input: Buffer[], fields: ConstructorParameters<typeof MaskTransform>[1]) => {
    const t = new MaskTransform(KEY, fields);
    const out: Buffer[] = [];
    for await (const chunk of Readable.from(input).pipe(t)) out.push(chunk as Buffer);
    return { text: Buffer.concat(out).toString('utf8'), rows: t.rows };
  };
  const m = masker(KEY);

  test('only the masked fields change, escapes and NULLs pass, chunk boundaries anywhere (even inside a character)', async () => {
    const rows = ['1\tana@x.org\tAna \\t Núñez\t\\N', '2\t\\N\tBo\\nLine\tkept', '3\tc@y.org\tZoë\t\\\\x'];
    const whole = Buffer.from(`${rows.join('\n')}\n`, 'utf8');
    const fields = [{ index: 1, column: text('email'), strategy: { kind: 'email' as const } }];
    const expected = `${rows
      .map((r) => {
        const f = r.split('\t');
        f[1] = m.value({ kind: 'email' }, text('email'), f[1]!);
        return f.join('\t');
      })
      .join('\n')}\n`;
    const oneByOne = [...whole].map((b) => Buffer.from([b]));
    for (const input of [[whole], oneByOne]) {
      const out = await run(input, fields);
      expect(out.text).toBe(expected);
      expect(out.rows).toBe(3);
    }
    expect(expected).toContain('\\N\tBo\\nLine');
  });

  test('a row with fewer fields than the copy fails the stream', async () => {
    const fields = [{ index: 3, column: text('x'), strategy: { kind: 'hash' as const } }];
    await expect(run([Buffer.from('1\ta\n')], fields)).rejects.toThrow('a row has 2 fields');
  });
});

describe('rules against a catalog', () => {
  const column = (name: string, type = 'text', extra: Partial<Column> = {}) => col(name, { type, ...extra });
  const table = (schema: string, name: string, columns: Column[], generatedColumns: string[] = []) =>
    tableOf(schema, name, { columns, generatedColumns, primaryKey: [columns[0]!.name] });
  const inv = {
    tables: [
      table('auth', 'users', [
        column('id', 'uuid'),
        column('email'),
        column('phone'),
        column('created_at', 'timestamp with time zone'),
      ]),
      table(
        'public',
        'profiles',
        [
          column('id', 'uuid'),
          column('email'),
          column('display_name'),
          column('email_lower', 'text', { generated: 'lower(email)' }),
        ],
        ['email_lower'],
      ),
      table('public', 'orders', [column('id', 'bigint'), column('user_email'), column('total', 'numeric')]),
    ],
    foreignKeys: [
      {
        name: 'orders_user_email_fkey',
        table: 'public.orders',
        columns: ['user_email'],
        references: 'public.profiles',
        refColumns: ['email'],
      },
    ],
  } as unknown as Inventory;
  const all = ['auth.users', 'public.profiles', 'public.orders'];
  const config = (rules: Record<string, string>, personal: string[] = []): MaskingConfig => ({
    personal,
    rules: Object.entries(rules).map(([pattern, s]) => ({
      pattern,
      strategy: s.startsWith('constant:') ? { kind: 'constant', value: s.slice(9) } : ({ kind: s } as never),
    })),
  });

  test('the most specific rule wins; a key masks its references the same way', () => {
    const p = resolveMasking(
      config({ '*.*.email': 'email', 'auth.users.email': 'hash', '*.*.*': 'keep' }),
      inv,
      all,
    );
    expect(p.bad).toEqual([]);
    const of = (t: string) =>
      Object.fromEntries((p.tables.get(t) ?? []).map((c) => [c.column.name, [c.strategy.kind, c.rule]]));
    expect(of('auth.users')).toEqual({ email: ['hash', 'auth.users.email'] });
    expect(of('public.profiles')).toEqual({ email: ['email', '*.*.email'] });
    expect(of('public.orders')).toEqual({
      user_email: ['email', 'FK orders_user_email_fkey (as public.profiles.email)'],
    });
    expect(p.keyed).toBe(true);
    expect(maskedColumns(p, inv).get('public.profiles')).toEqual(['email', 'email_lower']);
  });

  test('fails closed: a personal table needs every column named (a wildcard keep covers nothing)', () => {
    const p = resolveMasking(
      config({ 'auth.users.email': 'email', 'auth.users.id': 'keep', 'auth.users.*': 'keep' }, [
        'auth.users',
      ]),
      inv,
      all,
    );
    expect(p.uncovered).toEqual(['auth.users.phone', 'auth.users.created_at']);
    const masked = resolveMasking(
      config({ 'auth.users.*': 'hash', 'auth.users.created_at': 'keep' }, ['auth.users']),
      inv,
      all,
    );
    // A wildcard that masks does cover: every column is masked or named.
    expect(masked.bad).toEqual([]);
    expect(masked.uncovered).toEqual([]);
  });

  test('bad input, each named: no such column, a generated column, a kept reference, a type that cannot take it', () => {
    const p = resolveMasking(
      config(
        {
          'public.profiles.shoe_size': 'hash',
          'public.profiles.email_lower': 'email',
          'public.profiles.email': 'email',
          'public.orders.user_email': 'keep',
          'public.orders.total': 'email',
        },
        ['public.nope'],
      ),
      inv,
      all,
    );
    expect(p.bad.sort()).toEqual(
      [
        'masking.personal: public.nope is not a table of the source',
        'masking.rules.public.profiles.shoe_size: no such column in the tables the copy carries',
        'masking.rules.public.profiles.email_lower: a generated column is computed on the target from the masked columns — give it keep or no rule',
        'masking.rules.public.orders.user_email: keep, but public.profiles.email is masked and FK orders_user_email_fkey joins them — the FK would no longer resolve',
        'masking.rules.public.orders.total: public.orders.total cannot take email (email writes text, and the column is numeric)',
      ].sort(),
    );
  });
});

test("a neutralized side effect's detail shows its URLs without credentials or query values", () => {
  expect(
    shownUrls(
      'POST https://hooks:s3cret@api.example.com/v1/hook?apikey=abc123&x=1 (database webhook) → https://staging.example.com/h?token=t0k',
    ),
  ).toBe(
    'POST https://***@api.example.com/v1/hook?apikey=***&x=*** (database webhook) → https://staging.example.com/h?token=***',
  );
  expect(shownUrls('https://api.example.com/plain → http://127.0.0.1:8080/x')).toBe(
    'https://api.example.com/plain → http://127.0.0.1:8080/x',
  );
});
