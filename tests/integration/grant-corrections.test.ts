// Grant corrections name a function by its name and argument list apart: a name holding a
// parenthesis never puts raw text into GRANT/REVOKE. Run against a real server.
import { readInventory } from '../../scripts/lib/catalog/inventory.ts';
import { grantCorrections } from '../../scripts/lib/replica/replace.ts';
import { closeAll, supabaseDatabase } from '../helpers/supabase-db.ts';

afterAll(closeAll);

test('grants on public."f(x"(integer) and on a procedure are corrected by statements that run', async () => {
  const db = await supabaseDatabase({ migrations: false });
  const sql = db.app();
  try {
    await sql.unsafe(`create function public."f(x"(a int) returns int language sql return a;
      revoke execute on function public."f(x"(int) from public;
      grant execute on function public."f(x"(int) to anon;
      create procedure public.tidy() language sql begin atomic select 1; end;
      revoke execute on procedure public.tidy() from public, anon;`);
    const current = await readInventory(sql as never, { exactCounts: false });
    const wanted = [
      ...current.grants.filter((g) => !(g.name === 'f(x(a integer)' && g.grantee === 'anon')),
      // A procedure's grant too: GRANT … ON FUNCTION would refuse it.
      {
        ...current.grants.find((g) => g.name === 'f(x(a integer)' && g.grantee === 'anon')!,
        name: 'tidy()',
        routine: { name: 'tidy', arguments: '' },
      },
    ];
    const statements = grantCorrections(wanted, current, ['public']);
    expect(statements).toEqual([
      'REVOKE EXECUTE ON ROUTINE "public"."f(x"(a integer) FROM "anon" CASCADE',
      'GRANT EXECUTE ON ROUTINE "public"."tidy"() TO "anon"',
    ]);
    for (const s of statements) await sql.unsafe(s);
    const [r] = await sql`select has_function_privilege('anon', 'public."f(x"(int)', 'EXECUTE') as f,
                                 has_function_privilege('anon', 'public.tidy()', 'EXECUTE') as p`;
    expect(r).toEqual({ f: false, p: true });
  } finally {
    await sql.end();
  }
});
