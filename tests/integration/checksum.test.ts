// Table checksums: the same rows give the same checksum whatever their order and
// whatever the session's settings; any change of content gives another.
import postgres from 'postgres';
import {
  checksumTables,
  compareChecksums,
  fastHashAgrees,
  pinOutputSettings,
  tableChecksum,
} from '../../scripts/lib/db/checksum.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';

let db: TestDatabase;
let sql: postgres.Sql;
beforeAll(async () => {
  db = await supabaseDatabase({ migrations: false });
  sql = db.app();
  await sql.unsafe(`
    create table public.a (id int, ts timestamptz, f float8, b bytea, j jsonb, "_envsync_row" text);
    create table public.b (like public.a);
    insert into public.a select g, timestamptz '2025-03-01 10:00+00' + g * interval '1 hour', g / 3.0, '\\x00ff', '{"k": [1, 2]}', 'x' || g
      from generate_series(1, 500) g;
    insert into public.b select * from public.a order by id desc;
    create table public.dups1 (v int); insert into public.dups1 values (1), (1), (2), (2);
    create table public.dups2 (v int); insert into public.dups2 values (3), (3), (4), (4);
    create table "Odd ""Schema"" Name" (x int); insert into "Odd ""Schema"" Name" values (1);
    create collation public.nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
    create type public.mood as enum ('ok', 'sad');
    create table public.typed (id int8, name text, code char(3), seen timestamptz, u uuid, b bool, d date, blob bytea);
    insert into public.typed select g, 'n' || g, 'c' || (g % 10), timestamptz '2025-01-01' + g * interval '1 min',
      md5(g::text)::uuid, g % 2 = 0, date '2025-01-01' + g, '\x01' from generate_series(1, 300) g;
    create table public.inexact (id int, amount numeric, doc jsonb, name text collate public.nocase,
      c bpchar, m public.mood, f float8, span interval, tags int[]);
    insert into public.inexact values (1, 1.0, '{"n": 1.0}', 'Ana', 'x', 'ok', 0, '1 day', '{1,2}'),
      (2, 2, '{"n": 2}', 'Bo', 'y', 'sad', 1.5, '2 hours', '[0:1]={3,4}');
  `);
});
afterAll(async () => {
  await sql.end();
  await closeAll();
});

const sum = async (tx: postgres.Sql | postgres.TransactionSql, name: string) => {
  await pinOutputSettings(tx);
  return tableChecksum(tx, { schema: 'public', name });
};

test('the same rows in another order give the same checksum', async () => {
  await sql.begin(async (tx) => {
    const [a, b] = [await sum(tx, 'a'), await sum(tx, 'b')];
    expect(a.rows).toBe(500);
    expect({ rows: b.rows, checksum: b.checksum }).toEqual({ rows: a.rows, checksum: a.checksum });
    expect(a.checksum).toMatch(/^md5x64:-?\d+:-?\d+$/);
  });
});

test('one changed value changes the checksum', async () => {
  await sql`update public.b set j = '{"k": [1, 3]}' where id = 250`;
  try {
    await sql.begin(async (tx) => {
      expect((await sum(tx, 'b')).checksum).not.toBe((await sum(tx, 'a')).checksum);
    });
  } finally {
    await sql`update public.b set j = '{"k": [1, 2]}' where id = 250`;
  }
});

test('duplicate rows add up instead of cancelling out', async () => {
  await sql.begin(async (tx) => {
    const [x, y] = [await sum(tx, 'dups1'), await sum(tx, 'dups2')];
    expect(x.rows).toBe(y.rows);
    expect(x.checksum).not.toBe(y.checksum);
  });
});

test("the session's time zone and output settings do not matter", async () => {
  const base = await sql.begin((tx) => sum(tx, 'a'));
  const other = await sql.begin(async (tx) => {
    await tx`set local timezone = 'America/Bogota'`;
    await tx`set local datestyle = 'SQL, DMY'`;
    await tx`set local extra_float_digits = -3`;
    await tx`set local bytea_output = 'escape'`;
    return sum(tx, 'a');
  });
  expect(other.checksum).toBe(base.checksum);
});

test('hostile identifiers are quoted', async () => {
  const c = await sql.begin((tx) => tableChecksum(tx, { schema: 'public', name: 'Odd "Schema" Name' }));
  expect(c).toMatchObject({ table: 'public.Odd "Schema" Name', rows: 1 });
});

test('checksumTables over two snapshot-sharing workers equals one-by-one, and compareChecksums finds differences', async () => {
  const tables = ['a', 'b', 'dups1', 'dups2'].map((name) => ({ schema: 'public', name }));
  const leader = postgres(db.url, { max: 1 });
  const workers = [postgres(db.url, { max: 1 }), postgres(db.url, { max: 1 })];
  try {
    const parallel = await leader.begin(async (lt) => {
      await lt`set transaction isolation level repeatable read`;
      const [row] = await lt`select pg_export_snapshot() as s`;
      await sql`insert into public.dups1 values (5)`; // after the snapshot: not counted
      const txs: Promise<unknown>[] = [];
      const ready: postgres.TransactionSql[] = [];
      let release!: () => void;
      const done = new Promise<void>((r) => {
        release = r;
      });
      for (const w of workers) {
        txs.push(
          w.begin(async (tx) => {
            await tx`set transaction isolation level repeatable read`;
            await tx.unsafe(`set transaction snapshot '${row!.s}'`);
            ready.push(tx);
            await done;
          }),
        );
      }
      while (ready.length < workers.length) await new Promise((r) => setTimeout(r, 10));
      const out = await checksumTables({ workers: ready, tables });
      release();
      await Promise.all(txs);
      return out;
    });
    const sequential = await sql.begin(async (tx) => {
      await pinOutputSettings(tx);
      const out = [];
      for (const t of tables) out.push(await tableChecksum(tx, t));
      return out;
    });
    // dups1 gained a row after the snapshot: the one difference.
    expect(compareChecksums(parallel, sequential).map((d) => d.table)).toEqual(['public.dups1']);
    expect(parallel.find((c) => c.table === 'public.dups1')!.rows).toBe(4);
  } finally {
    await sql`delete from public.dups1 where v = 5`;
    await Promise.all([leader.end(), ...workers.map((w) => w.end())]);
  }
});

describe('hashing by column type (hre64), each column of an inexact type as its text', () => {
  const typed = (tx: postgres.Sql | postgres.TransactionSql, name = 'typed') =>
    tableChecksum(tx, { schema: 'public', name }, undefined, 'hre64');
  type Change = (tx: postgres.TransactionSql) => postgres.PendingQuery<postgres.Row[]>;
  /** The checksum of `name` after `change`, which is then rolled back. */
  const afterChange = (name: string, change: Change) =>
    sql.begin(async (tx) => {
      await tx`savepoint s`;
      await change(tx);
      const c = await typed(tx, name);
      await tx`rollback to savepoint s`;
      return c;
    });

  test('the two servers of a test agree on it', async () => {
    expect(await fastHashAgrees(sql, sql)).toEqual({ text: true, typed: true });
  });

  test('finds a changed value, a value swapped between two rows, and a NULL; order does not matter', async () => {
    const base = await sql.begin((tx) => typed(tx));
    expect(base.checksum).toMatch(/^hre64:-?\d+:-?\d+$/);
    const reversed = await sql.begin(async (tx) => {
      await tx`create table public.typed_reversed as select * from public.typed order by id desc`;
      const c = await typed(tx, 'typed_reversed');
      await tx`drop table public.typed_reversed`;
      return c;
    });
    expect(reversed.checksum).toBe(base.checksum);
    const changes: Change[] = [
      (tx) => tx`update public.typed set name = 'changed' where id = 7`,
      // Two rows exchange their names: every value is still there, in the other row.
      (tx) => tx`update public.typed set name = case id when 1 then 'n2' else 'n1' end where id in (1, 2)`,
      (tx) => tx`update public.typed set seen = null where id = 9`,
      (tx) => tx`update public.typed set code = 'c9' where id = 1`,
    ];
    for (const change of changes) {
      const changed = await afterChange('typed', change);
      expect(changed.rows).toBe(300);
      expect(changed.checksum).not.toBe(base.checksum);
    }
    expect(await sql.begin((tx) => typed(tx))).toEqual(base);
  });

  // Each of these is equal by its type's own equality (and hash), yet prints differently:
  // the checksum must see it, as the row text does.
  test.each([
    [
      'numeric scale',
      (tx: postgres.TransactionSql) => tx`update public.inexact set amount = 1.00 where id = 1`,
    ],
    [
      'a number in jsonb',
      (tx: postgres.TransactionSql) => tx`update public.inexact set doc = '{"n": 1.00}' where id = 1`,
    ],
    [
      'case under a nondeterministic collation',
      (tx: postgres.TransactionSql) => tx`update public.inexact set name = 'ANA' where id = 1`,
    ],
    [
      'trailing blanks of a bare bpchar',
      (tx: postgres.TransactionSql) => tx`update public.inexact set c = 'x  ' where id = 1`,
    ],
    ['minus zero', (tx: postgres.TransactionSql) => tx`update public.inexact set f = '-0' where id = 1`],
    [
      'an interval spelled in hours',
      (tx: postgres.TransactionSql) => tx`update public.inexact set span = '24 hours' where id = 1`,
    ],
    [
      'an array lower bound',
      (tx: postgres.TransactionSql) => tx`update public.inexact set tags = '[0:1]={1,2}' where id = 1`,
    ],
  ])('sees %s', async (_what, change) => {
    const base = await sql.begin((tx) => typed(tx, 'inexact'));
    expect((await afterChange('inexact', change)).checksum).not.toBe(base.checksum);
  });
});

test.each(['md5x64', 'hte64', 'hre64'] as const)(
  '%s: a column left out (masked on the target) does not count, every other still does',
  async (kind) => {
    const ref = { schema: 'public', name: 'typed', exclude: ['name'] };
    const base = await sql.begin((tx) => tableChecksum(tx, ref, undefined, kind));
    const change = (set: string) =>
      sql.begin(async (tx) => {
        await tx`savepoint s`;
        await tx.unsafe(`update public.typed set ${set} where id = 3`);
        const c = await tableChecksum(tx, ref, undefined, kind);
        await tx`rollback to savepoint s`;
        return c.checksum;
      });
    expect(await change(`name = 'masked'`)).toBe(base.checksum);
    expect(await change(`code = 'zz'`)).not.toBe(base.checksum);
    const whole = await sql.begin((tx) =>
      tableChecksum(tx, { schema: 'public', name: 'typed' }, undefined, kind),
    );
    expect(whole.checksum).not.toBe(base.checksum);
  },
);
