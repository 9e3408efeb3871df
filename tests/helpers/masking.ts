// The demo app made production-like for the masking tests: phones on every user, and an
// envsync.yaml masking section that names every column of its personal tables (fail closed).

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { dir } from './backups.ts';
import type { TestDatabase } from './supabase-db.ts';

export const MASKING_KEY = 'a-masking-key-for-tests-only-0123456789';

/** The masked columns; every other column of these personal tables is kept by name. */
export const DEMO_MASKED: Record<string, Record<string, string>> = {
  'auth.users': {
    email: 'email',
    phone: 'phone',
    encrypted_password: '"null"',
    confirmation_token: '"null"',
    recovery_token: '"null"',
    raw_user_meta_data: `"sql:'{}'::jsonb"`,
  },
  'auth.identities': { identity_data: `"sql:jsonb_build_object('sub', identity_data ->> 'sub')"` },
  'public.profiles': { email: 'email', display_name: 'name' },
  'public.staff_users': { full_name: 'name' },
  'public.guest_reservations': { guest_name: 'name', guest_email: 'email' },
};

/** Gives every user of `db` a distinct phone (the seed has none); returns the masking section for it. */
export async function demoMaskingRules(db: TestDatabase): Promise<string> {
  const su = db.superuser();
  await su`update auth.users u set phone = '+5730' || lpad(x.n::text, 8, '0')
           from (select id, row_number() over (order by id) as n from auth.users) x where x.id = u.id`;
  const columns = await su`
    select table_schema || '.' || table_name as t, column_name as c from information_schema.columns
    where table_schema || '.' || table_name = any(${Object.keys(DEMO_MASKED)}) and is_generated = 'NEVER'
    order by t, ordinal_position`;
  const lines = columns.map(({ t, c }) => `    ${t}.${c}: ${DEMO_MASKED[t]![c] ?? 'keep'}`);
  return `masking:\n  personal: [${Object.keys(DEMO_MASKED).join(', ')}]\n  rules:\n${lines.join('\n')}\n`;
}

/** `text` as an envsync.yaml in a directory of its own; its path. */
export function configFile(text: string): string {
  const file = path.join(dir('masking-config'), 'envsync.yaml');
  writeFileSync(file, text);
  return file;
}
