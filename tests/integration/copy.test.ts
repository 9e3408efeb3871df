// copyIn settles in every case: rows in, or the server's error out (never a hang).
import { copyIn } from '../../scripts/lib/db/copy.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await supabaseDatabase({ migrations: false });
  const sql = db.app();
  await sql`create table public.copy_target (id int primary key, note text)`;
  await sql.end();
});
afterAll(closeAll);

const lines = function* (from: number, to: number) {
  for (let i = from; i <= to; i++) yield `${i}\tnote ${i}\n`;
};

test('rows arrive', async () => {
  const sql = db.app();
  try {
    await sql.begin((tx) => copyIn(tx`copy public.copy_target (id, note) from stdin`, lines(1, 1000)));
    const [r] = await sql`select count(*)::int as n from public.copy_target`;
    expect(r!.n).toBe(1000);
  } finally {
    await sql.end();
  }
});

test('an error the server finds after the last row rejects with its code; the transaction rolls back', async () => {
  const sql = db.app();
  try {
    // Settling at all is the point: a copyIn that hangs fails this by the test timeout.
    await expect(
      sql.begin(async (tx) => {
        await tx`insert into public.copy_target values (5000, 'inside the failed transaction')`;
        // id 1000 exists: the server reports the duplicate only after CopyDone.
        await copyIn(tx`copy public.copy_target (id, note) from stdin`, lines(1000, 1000));
      }),
    ).rejects.toMatchObject({ code: '23505' });
    // The connection was rolled back and is usable; nothing of the transaction remains.
    const [r] = await sql`select count(*)::int as n, bool_or(id = 5000) as leaked from public.copy_target`;
    expect(r).toEqual({ n: 1000, leaked: false });
  } finally {
    await sql.end();
  }
});

test('an error in the middle of a long stream rejects too', async () => {
  const sql = db.app();
  try {
    const bad = function* () {
      yield* lines(10_001, 60_000);
      yield 'not-a-number\tboom\n';
      yield* lines(60_001, 200_000);
    };
    await expect(
      sql.begin((tx) => copyIn(tx`copy public.copy_target (id, note) from stdin`, bad())),
    ).rejects.toMatchObject({
      code: '22P02',
    });
    const [r] = await sql`select count(*)::int as n from public.copy_target`;
    expect(r!.n).toBe(1000);
  } finally {
    await sql.end();
  }
});
