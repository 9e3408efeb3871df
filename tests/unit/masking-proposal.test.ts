// proposeMasking reads column names and types (and the FKs) of an inventory: the rules it proposes
// load with loadConfig and resolve with the masking engine, with nothing refused or left uncovered.

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Column, Inventory, Table } from '../../scripts/lib/catalog/model.ts';
import { loadConfig } from '../../scripts/lib/cli/config.ts';
import { kindOfName, proposeMasking } from '../../scripts/lib/masking/propose.ts';
import { resolveMasking } from '../../scripts/lib/masking/rules.ts';
import { renderAnalyzeSummary } from '../../scripts/lib/report/analyze-summary.ts';
import type { AnalyzeResult, MaskingProposal } from '../../scripts/lib/results/analyze.ts';
import { maskingInventory } from '../fixtures/results/analyze.ts';
import { col, foreignKeyOf, sampleInventory, tableOf } from '../fixtures/results/inventory.ts';

/** The masked columns and their strategies (keeps left out). */
const strategies = (p: MaskingProposal) =>
  Object.fromEntries(p.rules.filter((r) => r.strategy !== 'keep').map((r) => [r.column, r.strategy]));
/** The columns of `table` kept by name. */
const kept = (p: MaskingProposal, table: string) =>
  p.rules
    .filter((r) => r.strategy === 'keep' && r.column.startsWith(`${table}.`))
    .map((r) => r.column.slice(table.length + 1));
const whyOf = (p: MaskingProposal, column: string) => p.rules.find((r) => r.column === column)?.why;
const skippedWhy = (p: MaskingProposal, column: string) => p.skipped.find((s) => s.column === column)?.why;

/** An inventory of `tables` (and `foreignKeys`), nothing else. */
function inventoryOf(tables: Table[], foreignKeys: Inventory['foreignKeys'] = []): Inventory {
  return {
    ...sampleInventory(),
    tables,
    foreignKeys,
    enums: [],
    loadOrder: [],
    cycles: [],
    selfReferencing: [],
  };
}
const tableWith = (schema: string, name: string, columns: Column[], extra: Partial<Table> = {}) =>
  tableOf(schema, name, { columns: [col('id', { type: 'uuid', notNull: true }), ...columns], ...extra });

/** The proposal's YAML through loadConfig, as a team would paste it into envsync.yaml. */
function loaded(p: MaskingProposal) {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'envsync-masking-')), 'envsync.yaml');
  writeFileSync(file, p.yaml);
  return loadConfig(file).masking!;
}

/** The tables a sync copies from `inv`: app tables and partitions, auth.users and auth.identities. */
const copied = (inv: Inventory) =>
  inv.tables
    .filter(
      (t) =>
        t.kind === 'table' &&
        (!t.platform || ['auth.users', 'auth.identities'].includes(`${t.schema}.${t.name}`)),
    )
    .map((t) => `${t.schema}.${t.name}`);

/** An analyze count with nothing in it. */
const NO_OBJECTS = {
  schemas: 0,
  tables: 0,
  rows: 0,
  sizeBytes: 0,
  views: 0,
  matviews: 0,
  functions: 0,
  triggers: 0,
  policies: 0,
  sequences: 0,
  enums: 0,
  grants: 0,
};

test('a column is what its name ends in, read word by word (snake_case and camelCase), never by substring', () => {
  const kinds = (names: string[]) => Object.fromEntries(names.map((n) => [n, kindOfName(n)?.kind ?? null]));
  expect(
    kinds([
      'email',
      'guest_email',
      'email_address',
      'e_mail',
      'emailed_at',
      'email_confirmed_at',
      'email_template',
      'phone_number',
      'phone_e164',
      'mobile',
      'mobile_app_version',
      'hotel_id',
      'firstName',
      'last_name',
      'domain_name',
      'table_name',
      'nombre_comercial',
      'username',
      'user_name',
      'ip_address',
      'last_sign_in_ip',
      'IPAddress',
      'zip_code',
      'city_code',
      'address_line_1',
      'date_of_birth',
      'birth_date',
      'national_id',
      'password_hash',
      'password_changed_at',
      'apiKey',
      'policy_key',
      'row_key',
      'otp_code',
      'tokens',
      'token_count',
      'refresh_token',
    ]),
  ).toEqual({
    email: 'email',
    guest_email: 'email',
    email_address: 'email',
    e_mail: 'email',
    emailed_at: null,
    email_confirmed_at: null,
    email_template: null,
    phone_number: 'phone',
    phone_e164: 'phone',
    mobile: 'phone',
    mobile_app_version: null,
    hotel_id: null,
    firstName: 'name',
    last_name: 'name',
    domain_name: null,
    table_name: null,
    nombre_comercial: null,
    username: 'handle',
    user_name: 'handle',
    ip_address: 'ip',
    last_sign_in_ip: 'ip',
    IPAddress: 'ip',
    zip_code: 'address',
    city_code: null,
    address_line_1: 'address',
    date_of_birth: 'birth',
    birth_date: 'birth',
    national_id: 'document',
    password_hash: 'secret',
    password_changed_at: null,
    apiKey: 'secret',
    policy_key: null,
    row_key: null,
    otp_code: 'secret',
    tokens: null,
    token_count: null,
    refresh_token: 'secret',
  });
  // A bare `name` is a person's only on a table of people.
  expect(kindOfName('name')).toEqual({ kind: 'name', bare: true });
});

test("proposes Supabase Auth's known columns, then the app's by name and type; traps get no rule", () => {
  const p = proposeMasking(maskingInventory());
  expect(p.personal).toEqual([
    'auth.identities',
    'auth.users',
    'public.customers',
    'public.orders',
    'public.profiles',
  ]);
  expect(strategies(p)).toEqual({
    'auth.identities.provider_id': 'hash',
    'auth.identities.identity_data': 'constant:{}',
    'auth.users.email': 'email',
    'auth.users.encrypted_password': 'null',
    // GoTrue reads these as non-null strings: '' is "none pending", NULL would fail sign-in.
    'auth.users.confirmation_token': 'constant:',
    'auth.users.recovery_token': 'constant:',
    'auth.users.email_change': 'constant:',
    'auth.users.raw_user_meta_data': 'constant:{}',
    'auth.users.phone': 'phone',
    'public.customers.firstName': 'name',
    'public.customers.lastName': 'name',
    'public.customers.email': 'email',
    // varchar(15) is too short for phone's fakes: the engine's own check picks hash instead.
    'public.customers.phone': 'hash',
    'public.orders.customer_email': 'email',
    // Unique: a username keeps distinct values under hash, not under name's fakes.
    'public.profiles.username': 'hash',
    'public.profiles.display_name': 'name',
    'public.profiles.email': 'email',
    'public.profiles.last_sign_in_ip': 'fake',
    'public.profiles.date_of_birth': 'fake',
    'public.profiles.reset_token': 'null',
    'public.profiles.api_key': 'hash',
  });
  // Every other column of a personal table is kept by name, so the section is complete; the
  // engine counts no `table.*: keep` as cover (it would keep a column added later, unseen).
  expect(kept(p, 'auth.users')).toEqual([
    'instance_id',
    'id',
    'aud',
    'email_confirmed_at',
    'raw_app_meta_data',
    'phone_confirmed_at',
    'is_anonymous',
  ]);
  expect(kept(p, 'auth.identities')).toEqual(['user_id', 'provider', 'id']);
  expect(kept(p, 'public.profiles')).toEqual(['id', 'emailed_at', 'tokens']);
  expect(p.rules.some((r) => r.column.endsWith('.*'))).toBe(false);
  // The traps: a tenant's name and domain_name, a timestamp named after an email, a count of tokens,
  // a platform table a sync does not copy (auth.sessions' inet), a lookup table's name.
  expect(p.rules.map((r) => r.column)).not.toEqual(
    expect.arrayContaining([expect.stringMatching(/^(public\.tenants|auth\.sessions|public\.cities)\./)]),
  );
  expect(whyOf(p, 'public.profiles.emailed_at')).toBe('kept: a time');
  expect(whyOf(p, 'public.profiles.tokens')).toBe('kept: a number');
  expect(whyOf(p, 'auth.users.raw_app_meta_data')).toMatch(/^kept: provider and providers/);
  expect(whyOf(p, 'public.customers.phone')).toMatch(
    /phone does not fit \(phone needs 16 characters.*a keyed hash/,
  );
  expect(whyOf(p, 'public.profiles.api_key')).toMatch(/NOT NULL: a keyed hash/);
  expect(whyOf(p, 'public.profiles.reset_token')).toMatch(/NULL, of no use on a copy/);
});

test('generated columns get no rule: computed from the masked columns, or a warning when those are kept', () => {
  const p = proposeMasking(maskingInventory());
  expect(p.rules.map((r) => r.column)).not.toContain('auth.identities.email');
  expect(p.rules.map((r) => r.column)).not.toContain('public.customers.full_name');
  expect(skippedWhy(p, 'auth.identities.email')).toBe(
    'an email address, generated from identity_data: computed on the target from the masked value, no rule needed (a generated column cannot be masked)',
  );
  expect(skippedWhy(p, 'public.customers.full_name')).toMatch(
    /generated from firstName, lastName: computed on the target/,
  );
  expect(p.yaml).toContain(
    '    # auth.identities.email: no rule — an email address, generated from identity_data',
  );

  const kept = proposeMasking(
    inventoryOf([
      tableWith('public', 'members', [
        col('contact'),
        col('email_lower', { generated: 'lower(contact)' }),
        col('phone'),
      ]),
    ]),
  );
  expect(skippedWhy(kept, 'public.members.email_lower')).toBe(
    'an email address, generated as lower(contact): computed on the target from columns this proposal keeps — mask contact, or it still shows personal data',
  );
});

test('FKs: the references of a masked key are masked alike; a reference to data that is not masked is left alone', () => {
  const p = proposeMasking(maskingInventory());
  expect(whyOf(p, 'public.customers.email')).toContain(
    'FK orders_customer_email_fkey: public.orders.customer_email masked the same way, so references still match',
  );
  expect(whyOf(p, 'public.orders.customer_email')).toContain('public.customers.email masked the same way');
  // customers.city is named like an address, but its values are the keys of a lookup table: kept.
  expect(strategies(p)['public.customers.city']).toBeUndefined();
  expect(whyOf(p, 'public.customers.city')).toBe(`kept: ${skippedWhy(p, 'public.customers.city')}`);
  expect(skippedWhy(p, 'public.customers.city')).toBe(
    'named like part of a postal address, but its values are keys of public.cities.name (FK customers_city_fkey), which this proposal does not mask: masking it would break the reference',
  );

  // A reference named like nothing follows its masked key; a nullable secret key with a NOT NULL
  // reference cannot be nulled: both are hashed.
  const inv = inventoryOf(
    [
      tableWith('public', 'customers', [col('email', { notNull: true })]),
      tableWith('public', 'invoices', [col('buyer', { notNull: true })]),
      tableWith('public', 'api_tokens', [col('token')]),
      tableWith('public', 'token_uses', [col('used', { notNull: true })]),
    ],
    [
      foreignKeyOf('public.invoices', 'buyer', 'public.customers', 'restrict', { refColumns: ['email'] }),
      foreignKeyOf('public.token_uses', 'used', 'public.api_tokens', 'cascade', { refColumns: ['token'] }),
    ],
  );
  const q = proposeMasking(inv);
  expect(strategies(q)).toMatchObject({
    'public.invoices.buyer': 'email',
    'public.api_tokens.token': 'hash',
    'public.token_uses.used': 'hash',
  });
  expect(q.personal).toEqual([
    'public.api_tokens',
    'public.customers',
    'public.invoices',
    'public.token_uses',
  ]);
  expect(whyOf(q, 'public.invoices.buyer')).toBe(
    'its values are keys of public.customers.email (FK invoices_buyer_fkey): masked the same way (deterministic), so the reference still matches',
  );
  expect(whyOf(q, 'public.token_uses.used')).toMatch(/\(hash, not null: a column of the FK is NOT NULL\)$/);
  expect(resolveMasking(loaded(q), inv, copied(inv))).toMatchObject({ bad: [], uncovered: [] });
});

test('types decide: only text gets email/phone/name, inet is faked, other types are hashed or nulled as fits', () => {
  const inv = inventoryOf([
    tableWith(
      'public',
      'people',
      [
        col('name'),
        col('email', { type: 'uuid', notNull: true }),
        col('phone', { type: 'numeric(15,0)' }),
        col('home_address', { type: 'jsonb' }),
        col('secrets', { type: 'jsonb', notNull: true }),
        col('birth_year', { type: 'numeric', notNull: true }),
        col('email_verified', { type: 'boolean' }),
        col('last_login', { type: 'timestamp with time zone' }),
        col('display_name', { notNull: true }),
      ],
      {
        constraints: [
          {
            name: 'people_display_name_key',
            type: 'unique',
            definition: 'UNIQUE (display_name)',
            columns: ['display_name'],
            inherited: false,
          },
        ],
      },
    ),
    // No name says so, but an inet holds someone's address.
    tableWith('public', 'visits', [col('origin', { type: 'inet' }), col('network', { type: 'cidr' })]),
    tableOf('public', 'events', { kind: 'partitioned', columns: [col('ip', { type: 'inet' })] }),
    tableOf('public', 'events_2025', {
      isPartition: true,
      partitionOf: 'public.events',
      columns: [col('ip', { type: 'inet' })],
    }),
  ]);
  const p = proposeMasking(inv);
  expect(strategies(p)).toEqual({
    'public.events_2025.ip': 'fake',
    'public.people.name': 'name',
    'public.people.email': 'hash',
    'public.people.phone': 'null',
    'public.people.home_address': 'null',
    'public.people.secrets': 'constant:{}',
    'public.people.display_name': 'hash',
    'public.visits.origin': 'fake',
  });
  // birth_year needs a rule the team writes: it gets none, and the table fails closed until then.
  expect(kept(p, 'public.people')).toEqual(['id', 'email_verified', 'last_login']);
  expect(kept(p, 'public.visits')).toEqual(['id', 'network']);
  expect(whyOf(p, 'public.visits.network')).toBe(
    'kept — review: a cidr can hold personal data its name does not show',
  );
  expect(whyOf(p, 'public.people.name')).toMatch(/^`name` on a table of people — a person's name/);
  expect(whyOf(p, 'public.people.email')).toBe(
    'named like an email address but a uuid: a keyed hash (deterministic, not reversible), a valid distinct uuid',
  );
  expect(whyOf(p, 'public.people.home_address')).toBe(
    'part of a postal address in a jsonb: NULL, since a fake cannot keep its structure',
  );
  expect(whyOf(p, 'public.people.display_name')).toMatch(
    /unique \(people_display_name_key\).*since name's fakes repeat/,
  );
  expect(skippedWhy(p, 'public.people.birth_year')).toBe(
    'named like a date of birth, but a NOT NULL numeric no strategy fits: write a sql: rule',
  );
  expect(p.yaml).toContain(
    '    # public.people.birth_year: no rule — named like a date of birth, but a NOT NULL numeric no strategy fits: write a sql: rule; the table fails closed until then\n',
  );
  expect(resolveMasking(loaded(p), inv, copied(inv))).toMatchObject({
    bad: [],
    uncovered: ['public.people.birth_year'],
  });
});

test('the YAML loads with loadConfig and resolves with the masking engine: nothing refused, nothing uncovered', () => {
  const inv = maskingInventory();
  const p = proposeMasking(inv);
  const config = loaded(p);
  expect(config.personal).toEqual(p.personal);
  expect(config.rules.map((r) => r.pattern)).toEqual(p.rules.map((r) => r.column));
  // `null` is quoted: unquoted, YAML reads it as no value at all.
  expect(p.yaml).toContain('    auth.users.encrypted_password: "null"  # ');
  expect(config.rules.find((r) => r.pattern === 'auth.users.confirmation_token')!.strategy).toEqual({
    kind: 'constant',
    value: '',
  });
  expect(config.rules.find((r) => r.pattern === 'auth.users.raw_user_meta_data')!.strategy).toEqual({
    kind: 'constant',
    value: '{}',
  });
  // Every rule has its reason beside it.
  for (const line of p.yaml.split('\n').filter((l) => /^ {4}[^#\s-]/.test(l)))
    expect(line).toMatch(/: \S+ {2}# \S/);
  const plan = resolveMasking(config, inv, copied(inv));
  expect(plan).toMatchObject({ bad: [], uncovered: [] });
  expect(plan.tables.get('public.orders')!.map((m) => `${m.column.name}=${m.strategy.kind}`)).toEqual([
    'customer_email=email',
  ]);

  const none = proposeMasking(
    inventoryOf([tableWith('public', 'tenants', [col('name'), col('domain_name')])]),
  );
  expect(none).toMatchObject({ personal: [], rules: [], skipped: [] });
  expect(loaded(none)).toEqual({ personal: [], rules: [] });
});

test('names envsync.yaml cannot spell: a unique glob stands in; an ambiguous one is left out and the table fails closed', () => {
  const inv = inventoryOf([
    tableWith('public', 'Guest List', [col('e mail'), col('notes')]),
    tableWith('public', 'contacts', [col('home phone'), col('home.phone'), col('email')]),
  ]);
  const p = proposeMasking(inv);
  expect(p.personal).toEqual(['public.contacts', 'public.Guest List']);
  expect(p.yaml).toContain(
    '    # - "public.Guest List"  # envsync.yaml cannot list a table whose name has a dot, space or *: its rules below still apply',
  );
  expect(p.yaml).toContain('    public.Guest*List.e*mail: email  # ');
  expect(p.yaml).toContain('    public.Guest*List.notes: keep  # ');
  expect(p.yaml).toContain(
    '    # "public.contacts.home phone": phone  # a phone number: a fake +999 number, deterministic — envsync.yaml cannot name this column (a dot or space no glob singles out): the table fails closed until it is renamed\n',
  );
  const config = loaded(p);
  expect(config.personal).toEqual(['public.contacts']);
  const plan = resolveMasking(config, inv, copied(inv));
  expect(plan.bad).toEqual([]);
  expect(plan.tables.get('public.Guest List')!.map((m) => m.column.name)).toEqual(['e mail']);
  // Fails closed: the columns no rule could name stop the copy rather than leak.
  expect(plan.uncovered).toEqual(['public.contacts.home phone', 'public.contacts.home.phone']);
});

test('the summary shows the YAML; a long one is cut where a table ends, its personal list whole', () => {
  const many = inventoryOf(
    Array.from({ length: 30 }, (_, i) =>
      tableWith('public', `people_${String(i).padStart(2, '0')}`, [
        col('email'),
        col('phone'),
        col('first_name'),
      ]),
    ),
  );
  const r = {
    ...many,
    target: { name: 'dev', display: 'postgres://postgres@db.example.test:5432/postgres' },
    counts: {
      app: { ...NO_OBJECTS, schemas: 1 },
      platform: NO_OBJECTS,
      extensions: 0,
      eventTriggers: 0,
      defaultPrivileges: 0,
    },
    attention: [],
    contentSuggestion: { content: [], users: [] },
    masking: proposeMasking(many),
    durationMs: 1,
  } satisfies AnalyzeResult;
  const md = renderAnalyzeSummary(r);
  const section = md.slice(md.indexOf('### Suggested masking rules (envsync.yaml)'));
  expect(section).toContain('    - public.people_29\n');
  // Five lines a table, 80 at most: sixteen tables shown.
  expect(section).toContain('    public.people_15.id: keep');
  expect(section).not.toContain('    # public.people_16\n');
  expect(section).toContain(
    '    # … rules for 14 more table(s) in analyze.json (masking.yaml); pasted as shown, those tables fail closed\n```',
  );
});
