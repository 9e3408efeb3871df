// Grant corrections name a function by its name and argument list apart: a name holding a
// parenthesis never puts raw text into GRANT/REVOKE. Run against a real server.
import { readInventory } from '../../scripts/lib/catalog/inventory.ts';
import { grantCorrections } from '../../scripts/lib/replica/replace.ts';
import { closeAll, supabaseDatabase } from '../helpers/supabase-db.ts';

afterAll(closeAll);

test('an extra grant on public."f(x"(integer) is revoked by a statement that runs', async () => {
  const db = await supabaseDatabase({ migrations: false });
  const sql = db.app();
  try {
    await sql.unsafe(`create function public."f(x"(a int) returns int language sql return a;
      revoke execute on function public."f(x"(int) from public;
      grant execute on function public."f(x"(int) to anon;`);
    const current = await readInventory(sql as never, { exactCounts: false });
    const wanted = current.grants.filter((g) => !(g.name === 'f(x(a integer)' && g.grantee === 'anon'));
    const statements = grantCorrections(wanted, current, ['public']);
    expect(statements).toEqual(['REVOKE EXECUTE ON FUNCTION "public"."f(x"(a integer) FROM "anon" CASCADE']);
    for (const s of statements) await sql.unsafe(s);
    const [r] = await sql`select has_function_privilege('anon', 'public."f(x"(int)', 'EXECUTE') as can`;
    expect(r!.can).toBe(false);
  } finally {
    await sql.end();
  }
});
