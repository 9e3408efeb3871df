// Masking rules proposed from the catalog: which columns of the tables a sync copies look like
// personal data (by their names and types), and a ready `masking` section for envsync.yaml.

import { suggestContent } from '../catalog/content-suggestion.ts';
import type { Column, Inventory, Table } from '../catalog/model.ts';
import { PLATFORM_DATA_TABLES } from '../catalog/platform.ts';
import type { MaskingProposal, ProposedMaskingRule } from '../results/analyze.ts';
import { globToRegex } from './rules.ts';
import { parseStrategy, unsupported } from './strategies.ts';

/** What a column's name says it holds. */
type Kind = 'email' | 'phone' | 'name' | 'handle' | 'address' | 'ip' | 'birth' | 'document' | 'secret';

const LOOKS: Record<Kind, string> = {
  email: 'an email address',
  phone: 'a phone number',
  name: "a person's name",
  handle: 'a username',
  address: 'part of a postal address',
  ip: 'an IP address',
  birth: 'a date of birth',
  document: 'an identity document number',
  secret: 'a secret (password, token, key)',
};

/** Words that name a kind on their own (snake_case and camelCase parts, lower-cased). */
const WORD_KIND: Record<string, Kind> = {
  email: 'email',
  emails: 'email',
  correo: 'email',
  phone: 'phone',
  phones: 'phone',
  mobile: 'phone',
  telephone: 'phone',
  tel: 'phone',
  cellphone: 'phone',
  fax: 'phone',
  msisdn: 'phone',
  telefono: 'phone',
  celular: 'phone',
  firstname: 'name',
  lastname: 'name',
  fullname: 'name',
  surname: 'name',
  givenname: 'name',
  familyname: 'name',
  displayname: 'name',
  middlename: 'name',
  maidenname: 'name',
  apellido: 'name',
  apellidos: 'name',
  username: 'handle',
  nickname: 'handle',
  screenname: 'handle',
  login: 'handle',
  handle: 'handle',
  street: 'address',
  city: 'address',
  town: 'address',
  zip: 'address',
  zipcode: 'address',
  postcode: 'address',
  postal: 'address',
  direccion: 'address',
  ip: 'ip',
  ipaddress: 'ip',
  birth: 'birth',
  birthday: 'birth',
  birthdate: 'birth',
  dob: 'birth',
  ssn: 'document',
  passport: 'document',
  cedula: 'document',
  cpf: 'document',
  dni: 'document',
  nif: 'document',
  password: 'secret',
  passwd: 'secret',
  passphrase: 'secret',
  secret: 'secret',
  secrets: 'secret',
  token: 'secret',
  otp: 'secret',
  totp: 'secret',
  salt: 'secret',
  credential: 'secret',
  credentials: 'secret',
  recovery: 'secret',
  hash: 'secret',
  apikey: 'secret',
};

/** Nouns for people: a table named with one holds people's rows, and `<noun>_name` is a person's name. */
const PERSON_NOUNS = new Set([
  'user',
  'profile',
  'guest',
  'customer',
  'staff',
  'member',
  'contact',
  'employee',
  'person',
  'people',
  'patient',
  'student',
  'learner',
  'instructor',
  'teacher',
  'author',
  'subscriber',
  'applicant',
  'candidate',
  'traveler',
  'traveller',
  'passenger',
  'attendee',
  'participant',
  'volunteer',
  'resident',
  'visitor',
  'buyer',
  'recipient',
  'beneficiary',
  'driver',
  'owner',
  'holder',
  'cardholder',
  'parent',
  'guardian',
  'usuario',
  'huesped',
  'cliente',
  'empleado',
  'persona',
  'contacto',
]);
/** Words before `name` that make it a person's: `first_name`, `guest_name`, `firstName`. */
const NAME_QUALIFIERS = new Set([
  'first',
  'last',
  'full',
  'display',
  'given',
  'family',
  'middle',
  'maiden',
  'preferred',
  'real',
  'sur',
]);
const HANDLE_QUALIFIERS = new Set(['user', 'login', 'screen', 'nick', 'account']);
const SECRET_KEY_QUALIFIERS = new Set([
  'api',
  'private',
  'secret',
  'access',
  'encryption',
  'signing',
  'license',
  'session',
]);
const SECRET_CODE_QUALIFIERS = new Set([
  'auth',
  'authorization',
  'verification',
  'reset',
  'confirmation',
  'recovery',
  'otp',
  'invite',
  'invitation',
  'backup',
  'security',
]);
/** Words that may follow the kind's word and leave it the kind: `phone_number`, `password_hash`, `email_new`. */
const VALUE_WORDS = new Set([
  'number',
  'num',
  'no',
  'nr',
  'e164',
  'new',
  'old',
  'current',
  'previous',
  'prev',
  'primary',
  'secondary',
  'alt',
  'alternate',
  'other',
  'change',
  'raw',
  'normalized',
  'normalised',
  'lower',
  'clean',
  'value',
  'text',
  'plain',
  'plaintext',
  'encrypted',
  'enc',
  'ciphertext',
  'hash',
  'hashed',
  'digest',
  'line',
]);

/** A name's words: snake_case and camelCase parts, lower-cased, digits apart (`addressLine1` → address, line, 1). */
export function nameWords(name: string): string[] {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([A-Za-z])(\d)/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  // `e_mail`, `e164` split apart above: joined back.
  return words.flatMap((w, i) => {
    if (w === 'e' && (words[i + 1] === 'mail' || words[i + 1] === '164')) return [];
    if (words[i - 1] === 'e' && (w === 'mail' || w === '164')) return [`e${w}`];
    return [w];
  });
}

const singular = (w: string) => (PERSON_NOUNS.has(w) ? w : w.replace(/(es|s)$/, ''));
const isPerson = (w: string | undefined) =>
  w !== undefined && (PERSON_NOUNS.has(w) || PERSON_NOUNS.has(singular(w)) || w === 'persons');

interface Found {
  kind: Kind;
  /** A bare `name` (no qualifier): a person's only on a table about people. */
  bare?: boolean;
}

/** The kind word `words[i]` names, in the context of the word before it. */
function kindAt(words: string[], i: number): Found | null {
  const w = words[i]!;
  const prev = words[i - 1];
  if (w === 'name' || w === 'nombre' || w === 'nombres') {
    if (prev === undefined) return { kind: 'name', bare: true };
    if (HANDLE_QUALIFIERS.has(prev)) return { kind: 'handle' };
    if (NAME_QUALIFIERS.has(prev) || isPerson(prev)) return { kind: 'name' };
    if (prev === 'street' || prev === 'city' || prev === 'town') return { kind: 'address' };
    return null;
  }
  if (w === 'address') {
    if (prev === 'email' || prev === 'mail') return { kind: 'email' };
    if (prev === 'ip') return { kind: 'ip' };
    return { kind: 'address' };
  }
  if (w === 'key') return prev && SECRET_KEY_QUALIFIERS.has(prev) ? { kind: 'secret' } : null;
  if (w === 'code') return prev && SECRET_CODE_QUALIFIERS.has(prev) ? { kind: 'secret' } : null;
  if (w === 'id')
    return prev === 'national' || prev === 'tax' || prev === 'government' ? { kind: 'document' } : null;
  if (w === 'number' && (prev === 'document' || prev === 'id' || prev === 'security'))
    return { kind: 'document' };
  const kind = WORD_KIND[w];
  return kind ? { kind } : null;
}

/** Whether `w` (after `prev`) may follow the kind's word: `zip_code`, `birth_date`, `address_line_1`. */
function valueWord(kind: Kind, w: string, prev: string | undefined): boolean {
  if (/^\d+$/.test(w) || VALUE_WORDS.has(w)) return true;
  if (w === 'code') return prev === 'zip' || prev === 'postal' || prev === 'post';
  if (kind === 'birth') return w === 'date' || w === 'day' || w === 'year' || w === 'place';
  return false;
}

/**
 * What a column's name says it holds, read from its last kind word: the column is what its name
 * ends in, so `email_confirmed_at` is a time and `token_count` a number, not an email or a token.
 */
export function kindOfName(name: string): Found | null {
  const words = nameWords(name);
  for (let i = words.length - 1; i >= 0; i--) {
    const found = kindAt(words, i);
    if (!found) continue;
    for (let j = i + 1; j < words.length; j++)
      if (!valueWord(found.kind, words[j]!, words[j - 1])) return null;
    return found;
  }
  return null;
}

/** Whether a table's name says it holds people (`staff_users`, `guests`, `customerContacts`). */
export const namesPeople = (table: string): boolean => nameWords(table).some(isPerson);

type TypeClass =
  | 'text'
  | 'json'
  | 'array'
  | 'inet'
  | 'cidr'
  | 'temporal'
  | 'date'
  | 'describing'
  | 'uuid'
  | 'bytea'
  | 'integer'
  | 'other';

function typeClass(type: string, enums: Set<string>): TypeClass {
  if (/^(text|citext|name|character varying(\(\d+\))?|character(\(\d+\))?|"?[\w.]*citext"?)$/.test(type))
    return 'text';
  if (type.endsWith('[]')) return 'array';
  if (type === 'json' || type === 'jsonb') return 'json';
  if (type === 'inet' || type === 'cidr') return type;
  if (type === 'date') return 'date';
  if (/^(timestamp|time|interval)\b/.test(type)) return 'temporal';
  // Flags and enum labels describe a value; they never hold one.
  if (type === 'boolean' || enums.has(type.replace(/"/g, ''))) return 'describing';
  if (type === 'uuid' || type === 'bytea') return type;
  if (type === 'smallint' || type === 'integer' || type === 'bigint') return 'integer';
  return 'other';
}

/** A proposed rule before FKs and spelling are settled. */
interface Candidate {
  table: Table;
  column: Column;
  strategy: string;
  why: string;
  /** Its kind (null for Supabase Auth's known columns, which carry their own reasons). */
  kind: Kind | null;
}

type Choice = { strategy: string; why: string } | { skip: string } | null;

const EFFECT: Record<string, string> = {
  email: 'a fake address at example.com, deterministic',
  phone: 'a fake +999 number, deterministic',
  name: 'a fake first and last name, deterministic',
  fake: 'a realistic fake of its kind, deterministic',
  hash: 'a keyed hash (deterministic, not reversible)',
  null: 'NULL',
  'constant:{}': "emptied to '{}', still valid",
};
const effect = (strategy: string) => EFFECT[strategy] ?? strategy;

/** The column's single-column unique constraint or index, if any (fakes that repeat would break it). */
function uniqueBy(t: Table, c: Column): string | null {
  const constraint = t.constraints.find(
    (k) =>
      (k.type === 'unique' || k.type === 'primary key') && k.columns.length === 1 && k.columns[0] === c.name,
  );
  if (constraint) return constraint.name;
  const quoted = `"${c.name.replace(/"/g, '""')}"`;
  const index = t.indexes.find((i) => {
    const m = /^CREATE UNIQUE INDEX (\S+) ON .* USING \w+ \((.+)\)$/.exec(i.definition);
    return m && (m[2] === c.name || m[2] === quoted);
  });
  return index?.name ?? null;
}

/** The first strategy the masking engine can honour on this column, with the reasons the others fail. */
function firstSupported(
  column: Column,
  strategies: string[],
): { strategy: string; refused: string[] } | null {
  const refused: string[] = [];
  for (const s of strategies) {
    const parsed = parseStrategy(s);
    if (typeof parsed === 'string') continue;
    const why = unsupported(parsed, { name: column.name, type: column.type, notNull: column.notNull });
    if (!why) return { strategy: s, refused };
    refused.push(`${s} does not fit (${why})`);
  }
  return null;
}

/** The strategy for a column of kind `kind`, explained; null when its type only describes the value. */
function choose(found: Found, t: Table, c: Column, cls: TypeClass): Choice {
  const { kind } = found;
  const looks = LOOKS[kind];
  const nullable = !c.notNull;
  let wanted: string[];
  let why: string;
  if (cls === 'inet' || cls === 'cidr') {
    if (kind !== 'ip' && cls === 'cidr') return null;
    wanted = ['fake'];
    why = `${looks} (${c.type}): a fake 10.x address`;
  } else if (cls === 'text') {
    const preferred: Record<Kind, string> = {
      email: 'email',
      phone: 'phone',
      name: 'name',
      handle: 'hash',
      address: 'fake',
      ip: 'fake',
      birth: 'fake',
      document: 'hash',
      secret: nullable ? 'null' : 'hash',
    };
    wanted = [preferred[kind]];
    const unique = uniqueBy(t, c);
    if (unique && (wanted[0] === 'name' || wanted[0] === 'fake')) {
      // name has ~1,500 fakes, fake's cities eight: a unique column needs hash's.
      wanted = ['hash'];
      why = `${looks}, unique (${unique}): ${effect('hash')}, since ${preferred[kind]}'s fakes repeat`;
    } else if (kind === 'handle') why = `${looks}: ${effect('hash')}, unique like the original`;
    else if (kind === 'secret')
      why = nullable
        ? `${looks}: NULL, of no use on a copy (the column allows it)`
        : `${looks}, NOT NULL: ${effect('hash')}, never the original`;
    else why = `${looks}: ${effect(wanted[0]!)}`;
    if (found.bare) why = `\`${c.name}\` on a table of people — ${why}`;
  } else if (cls === 'date' || cls === 'temporal') {
    // `phone_confirmed_at` never gets here (its name ends in a time); a time column named like a
    // secret or an address only describes one.
    if (kind !== 'birth') return null;
    wanted = ['fake'];
    why = `${looks} (${c.type}): a fake ${cls === 'date' ? 'date' : 'time'}, deterministic`;
  } else if (cls === 'describing') {
    return null;
  } else if (cls === 'json' || cls === 'array') {
    wanted = nullable ? ['null'] : ['constant:{}', 'hash'];
    why = nullable
      ? `${looks} in a ${c.type}: NULL, since a fake cannot keep its structure`
      : `${looks} in a NOT NULL ${c.type}: ${effect('constant:{}')}`;
  } else if (cls === 'uuid' || cls === 'bytea' || cls === 'integer') {
    wanted = kind === 'secret' && nullable ? ['null'] : ['hash'];
    why =
      kind === 'secret'
        ? nullable
          ? `${looks} (${c.type}): NULL, of no use on a copy`
          : `${looks} (${c.type}), NOT NULL: ${effect('hash')}`
        : `named like ${looks} but a ${c.type}: ${effect('hash')}, a valid distinct ${c.type}`;
  } else {
    wanted = nullable ? ['null'] : [];
    why = `named like ${looks} but a ${c.type}, which no fake fits: NULL`;
    if (!nullable)
      return { skip: `named like ${looks}, but a NOT NULL ${c.type} no strategy fits: write a sql: rule` };
  }
  const fallbacks = [...wanted, 'hash', ...(nullable ? ['null'] : [])];
  const fit = firstSupported(c, [...new Set(fallbacks)]);
  if (!fit)
    return {
      skip: `named like ${looks}, but no strategy fits a ${c.notNull ? 'NOT NULL ' : ''}${c.type}: write a sql: rule`,
    };
  if (fit.strategy !== wanted[0]) why = `${looks}: ${fit.refused.join('; ')} — ${effect(fit.strategy)}`;
  return { strategy: fit.strategy, why };
}

/**
 * Supabase Auth's personal columns (supabase/auth migrations): auth.users and auth.identities are
 * the platform tables a sync copies. GoTrue reads the token and pending-change columns as non-null
 * strings (NULL there fails every sign-in), and '' is how it writes "none pending"; its unique
 * indexes on the tokens leave '' out.
 */
const AUTH_COLUMNS: Record<string, Record<string, { strategy: string; why: string }>> = {
  'auth.users': {
    email: { strategy: 'email', why: 'the sign-in email: a fake address at example.com, deterministic' },
    phone: { strategy: 'phone', why: 'the sign-in phone: a fake +999 number, deterministic (stays unique)' },
    encrypted_password: {
      strategy: 'null',
      why: "the password's bcrypt hash: NULL, so no production password works on the copy (constant:<a bcrypt hash> sets a test password)",
    },
    email_change: {
      strategy: 'constant:',
      why: "a pending new email: '', GoTrue's none (it reads NULL as an error)",
    },
    phone_change: {
      strategy: 'constant:',
      why: "a pending new phone: '', GoTrue's none (it reads NULL as an error)",
    },
    ...Object.fromEntries(
      [
        'confirmation_token',
        'recovery_token',
        'email_change_token',
        'email_change_token_new',
        'email_change_token_current',
        'phone_change_token',
        'reauthentication_token',
      ].map((c) => [
        c,
        { strategy: 'constant:', why: "a one-time token: '', GoTrue's none pending (NULL fails sign-in)" },
      ]),
    ),
    raw_user_meta_data: {
      strategy: 'constant:{}',
      why: "the sign-up / OAuth profile (name, avatar, email): '{}', the valid empty object GoTrue writes",
    },
    raw_app_meta_data: {
      strategy: 'keep',
      why: 'kept: provider and providers, what GoTrue signs in with, no personal data',
    },
    aud: { strategy: 'keep', why: "kept: the JWT audience GoTrue writes ('authenticated')" },
    role: { strategy: 'keep', why: 'kept: the database role the user signs in as' },
  },
  'auth.identities': {
    identity_data: {
      strategy: 'constant:{}',
      why: "the provider's profile (email, name, avatar, sub), NOT NULL: '{}', still valid",
    },
    provider: { strategy: 'keep', why: 'kept: the sign-in provider (email, google, github…)' },
    provider_id: {
      strategy: 'hash',
      why: "the provider's account id (the user's id at Google, GitHub…): a keyed hash, (provider_id, provider) stays unique",
    },
  },
};

/** A name part envsync.yaml can spell as it is (config.ts: no dots, spaces or `*` in a part). */
const PLAIN_PART = /^[^.\s*]+$/;

/**
 * `schema.table.column` as envsync.yaml can write it: a part with a dot, a space or a `*` becomes
 * a glob (each of those a `*`) when that glob still names only this column; null when not.
 */
function spell(inv: Inventory, t: Table, column: string): string | null {
  const parts = [t.schema, t.name, column];
  if (parts.every((p) => PLAIN_PART.test(p))) return parts.join('.');
  const glob = parts.map((p) => p.replace(/[.\s*]/g, '*'));
  const [s, n, c] = glob.map(globToRegex) as [RegExp, RegExp, RegExp];
  if (inv.tables.filter((x) => s.test(x.schema) && n.test(x.name)).length !== 1) return null;
  if (t.columns.filter((x) => c.test(x.name)).length !== 1) return null;
  return glob.join('.');
}

const yamlKey = (s: string) => (/^[A-Za-z_][\w$.*-]*$/.test(s) ? s : JSON.stringify(s));
/** A strategy as a YAML value: `null` (YAML's null), `constant:…` and the like quoted. */
const yamlValue = (s: string) =>
  /^[a-z]+$/.test(s) && !['null', 'true', 'false', 'yes', 'no', 'on', 'off', 'y', 'n'].includes(s)
    ? s
    : JSON.stringify(s);
const comment = (s: string) => s.replace(/\s+/g, ' ').trim();
const qualified = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;
/** A generated column's expression names `column`. */
const mentions = (expression: string, column: string) => {
  const code = expression.replace(/'(?:[^']|'')*'/g, "''");
  return (
    new RegExp(`(^|[^\\w"])${column.replace(/[.+?^${}()|[\]\\*]/g, '\\$&')}($|[^\\w"])`).test(code) ||
    code.includes(`"${column.replace(/"/g, '""')}"`)
  );
};

/** Why a column of a personal table is kept: what its type (or its key) says it holds. */
function keptBecause(inv: Inventory, t: Table, c: Column, enums: Set<string>): string {
  if (t.primaryKey.includes(c.name))
    return t.primaryKey.length === 1 ? 'kept: the primary key' : 'kept: part of the primary key';
  const fk = inv.foreignKeys.find((f) => f.table === qualified(t) && f.columns.includes(c.name));
  if (fk) return `kept: references ${fk.references}`;
  const cls = typeClass(c.type, enums);
  if (cls === 'temporal') return 'kept: a time';
  if (cls === 'date') return 'kept: a date';
  if (cls === 'describing') return c.type === 'boolean' ? 'kept: a flag' : 'kept: an enum label';
  if (cls === 'uuid') return 'kept: an id';
  if (cls === 'integer' || /^(numeric|real|double precision|money)\b/.test(c.type)) return 'kept: a number';
  return `kept — review: a ${c.type} can hold personal data its name does not show`;
}

/**
 * Masking rules for the tables a sync copies (every app table, and Supabase Auth's users and
 * identities), read from column names and types: a column is what its name ends in, and only a
 * type that can hold the value counts. A table with a masked column is personal, and every other
 * column of it gets a `keep` by name after its masked ones, so the section is complete (the engine
 * counts no `table.*: keep` as cover: it would keep a column added later, unseen); FK partners of a
 * masked column are masked alike. Pure: it only reads the inventory.
 */
export function proposeMasking(inv: Inventory): MaskingProposal {
  // The copy carries every ordinary table and partition (a partitioned parent holds no rows).
  const copied = inv.tables.filter(
    (t) => t.kind === 'table' && (!t.platform || PLATFORM_DATA_TABLES.includes(qualified(t))),
  );
  const byName = new Map(inv.tables.map((t) => [qualified(t), t]));
  const enums = new Set(
    inv.enums.flatMap((e) => [`${e.schema}.${e.name}`, ...(e.schema === 'public' ? [e.name] : [])]),
  );
  // Rows that belong to someone: tables named for people, auth.users, and the users' tables.
  const users = new Set(suggestContent(inv).users);
  const ofPeople = (t: Table) =>
    namesPeople(t.name) || users.has(qualified(t)) || qualified(t) === 'auth.users';

  const candidates = new Map<string, Candidate>();
  const skipped = new Map<string, string>();
  // Personal columns no strategy fits: their table fails closed until the team writes a rule.
  const undecided = new Set<string>();
  const generatedFound: { t: Table; c: Column; looks: string }[] = [];
  for (const t of copied) {
    const known = AUTH_COLUMNS[qualified(t)] ?? {};
    for (const c of t.columns) {
      const key = `${qualified(t)}.${c.name}`;
      const auth = known[c.name];
      const found = auth ? null : kindOfName(c.name);
      const cls = typeClass(c.type, enums);
      if (!auth && !found && cls !== 'inet') continue;
      if (found?.bare && !namesPeople(t.name)) continue;
      if (found?.kind === 'address' && !ofPeople(t)) continue;
      if (c.generated) {
        generatedFound.push({ t, c, looks: found ? LOOKS[found.kind] : 'personal data' });
        continue;
      }
      if (auth) {
        candidates.set(key, { table: t, column: c, ...auth, kind: null });
        continue;
      }
      const choice = choose(found ?? { kind: 'ip' }, t, c, cls);
      if (!choice) continue;
      if ('skip' in choice) {
        skipped.set(key, choice.skip);
        undecided.add(key);
      } else candidates.set(key, { table: t, column: c, ...choice, kind: found?.kind ?? 'ip' });
    }
  }

  settleForeignKeys(inv, copied, byName, candidates, skipped, undecided);

  const personalTables = copied
    .filter((t) =>
      t.columns.some((c) => {
        const key = `${qualified(t)}.${c.name}`;
        return undecided.has(key) || (candidates.has(key) && candidates.get(key)!.strategy !== 'keep');
      }),
    )
    .sort((a, b) => qualified(a).localeCompare(qualified(b)));

  for (const { t, c, looks } of generatedFound) {
    const from = t.columns.filter((x) => !x.generated && mentions(c.generated!, x.name));
    const maskedFrom = from.filter((x) => {
      const s = candidates.get(`${qualified(t)}.${x.name}`)?.strategy;
      return s !== undefined && s !== 'keep';
    });
    skipped.set(
      `${qualified(t)}.${c.name}`,
      maskedFrom.length
        ? `${looks}, generated from ${maskedFrom.map((x) => x.name).join(', ')}: computed on the target from the masked value, no rule needed (a generated column cannot be masked)`
        : `${looks}, generated as ${comment(c.generated!)}: computed on the target from columns this proposal keeps — mask ${from.map((x) => x.name).join(', ') || 'what it is computed from'}, or it still shows personal data`,
    );
  }

  const rules: ProposedMaskingRule[] = [];
  const lines: string[] = [];
  /** One rule, as envsync.yaml can spell it; commented out when it cannot (the table then fails closed). */
  const emit = (t: Table, column: string, strategy: string, why: string) => {
    const q = `${qualified(t)}.${column}`;
    const spelled = spell(inv, t, column);
    const full =
      spelled && spelled !== q ? `${why} (written as a glob: envsync.yaml cannot spell its name)` : why;
    rules.push({ column: q, strategy, why: full });
    lines.push(
      spelled
        ? `    ${yamlKey(spelled)}: ${yamlValue(strategy)}  # ${comment(full)}`
        : `    # ${yamlKey(q)}: ${yamlValue(strategy)}  # ${comment(why)} — envsync.yaml cannot name this column (a dot or space no glob singles out): the table fails closed until it is renamed`,
    );
  };
  for (const t of personalTables) {
    const q = qualified(t);
    lines.push(`    # ${q}`);
    const decided = (c: Column) => candidates.get(`${q}.${c.name}`);
    for (const c of t.columns) {
      const cand = decided(c);
      if (cand && cand.strategy !== 'keep') emit(t, c.name, cand.strategy, cand.why);
    }
    for (const c of t.columns) {
      const key = `${q}.${c.name}`;
      if (c.generated && skipped.has(key))
        lines.push(`    # ${key}: no rule — ${comment(skipped.get(key)!)}`);
      if (undecided.has(key))
        lines.push(
          `    # ${key}: no rule — ${comment(skipped.get(key)!)}; the table fails closed until then`,
        );
    }
    // Every other column kept by name: a `.*: keep` would also keep columns added later, unseen.
    for (const c of t.columns) {
      const key = `${q}.${c.name}`;
      const cand = decided(c);
      if (c.generated || undecided.has(key) || (cand && cand.strategy !== 'keep')) continue;
      const why =
        cand?.why ?? (skipped.has(key) ? `kept: ${skipped.get(key)}` : keptBecause(inv, t, c, enums));
      emit(t, c.name, 'keep', why);
    }
  }
  const outside = [...skipped].filter(
    ([column]) => !personalTables.some((t) => column.startsWith(`${qualified(t)}.`)),
  );
  if (outside.length) {
    lines.push('    # named like personal data, left as they are:');
    for (const [column, why] of outside) lines.push(`    # ${column}: ${comment(why)}`);
  }

  const personal = personalTables.map(qualified);
  const yaml = personal.length
    ? [
        'masking:',
        '  # Proposed by envsync analyze from column names and types: review it before you paste it.',
        '  # A personal table fails closed: each of its columns needs a rule, keep included — review the keeps.',
        '  personal:',
        ...personalTables.map((t) =>
          PLAIN_PART.test(t.schema) && PLAIN_PART.test(t.name)
            ? `    - ${yamlKey(qualified(t))}`
            : `    # - ${JSON.stringify(qualified(t))}  # envsync.yaml cannot list a table whose name has a dot, space or *: its rules below still apply`,
        ),
        '  rules:',
        ...lines,
        '',
      ].join('\n')
    : [
        'masking:',
        '  # No column of the copied tables is named like personal data.',
        '  personal: []',
        '  rules: {}',
        '',
      ].join('\n');
  return {
    personal,
    rules,
    skipped: [...skipped]
      .map(([column, why]) => ({ column, why }))
      .sort((a, b) => a.column.localeCompare(b.column)),
    yaml,
  };
}

/**
 * FK partners masked alike. Columns joined by FKs form a group; its keys (columns that reference
 * nothing) lead: when a key is masked, every column of the group takes its strategy
 * (deterministic, so references still match). When no key is masked, the group's columns are
 * references to data that is not personal (a city code, a lookup's name): masking them would
 * break the FK, so they are skipped.
 */
function settleForeignKeys(
  inv: Inventory,
  copied: Table[],
  byName: Map<string, Table>,
  candidates: Map<string, Candidate>,
  skipped: Map<string, string>,
  undecided: Set<string>,
): void {
  const inCopy = new Set(copied.map(qualified));
  // FKs of a partitioned table hold for each of its partitions.
  const leaves = (name: string): string[] => {
    const t = byName.get(name);
    if (!t) return [];
    if (t.kind === 'table') return inCopy.has(name) ? [name] : [];
    return inv.tables.filter((p) => p.partitionOf === name).flatMap((p) => leaves(qualified(p)));
  };
  const edges: { from: string; to: string; fk: string }[] = [];
  for (const fk of inv.foreignKeys)
    fk.columns.forEach((col, i) => {
      for (const from of leaves(fk.table))
        for (const to of leaves(fk.references))
          edges.push({ from: `${from}.${col}`, to: `${to}.${fk.refColumns[i]}`, fk: fk.name });
    });
  const parent = new Map<string, string>();
  const root = (k: string): string => {
    const p = parent.get(k) ?? k;
    if (p === k) return k;
    const r = root(p);
    parent.set(k, r);
    return r;
  };
  for (const e of edges) parent.set(root(e.from), root(e.to));
  const groups = new Map<string, string[]>();
  for (const k of new Set(edges.flatMap((e) => [e.from, e.to])))
    groups.set(root(k), [...(groups.get(root(k)) ?? []), k]);

  const columnOf = (key: string) => {
    const at = key.lastIndexOf('.');
    const t = byName.get(key.slice(0, at))!;
    return { t, c: t.columns.find((c) => c.name === key.slice(at + 1)) };
  };
  for (const members of groups.values()) {
    members.sort();
    const maskedMembers = members.filter((m) => candidates.has(m) && candidates.get(m)!.strategy !== 'keep');
    if (!maskedMembers.length) continue;
    const inGroup = edges.filter((e) => members.includes(e.from));
    const fks = [...new Set(inGroup.map((e) => e.fk))].sort().join(', ');
    const referencing = members.filter((m) => !inGroup.some((e) => e.from === m));
    const keys = referencing.length ? referencing : members;
    const lead = keys.find((k) => candidates.has(k) && candidates.get(k)!.strategy !== 'keep');
    if (!lead) {
      for (const m of maskedMembers) {
        const kind = candidates.get(m)!.kind;
        candidates.delete(m);
        skipped.set(
          m,
          `named like ${kind ? LOOKS[kind] : 'personal data'}, but its values are keys of ${keys.join(', ')} (FK ${fks}), which this proposal does not mask: masking it would break the reference`,
        );
      }
      continue;
    }
    const columns = members.map((m) => ({ m, ...columnOf(m) })).filter((x) => x.c && !x.c.generated);
    const wanted = candidates.get(lead)!.strategy;
    let strategy = wanted;
    let instead = '';
    // A key stays unique and its references must keep matching: one constant for all cannot do
    // it, nor NULL where a reference is NOT NULL.
    if (wanted.startsWith('constant:')) [strategy, instead] = ['hash', 'a key must stay unique'];
    else if (wanted === 'null' && columns.some((x) => x.c!.notNull))
      [strategy, instead] = ['hash', 'a column of the FK is NOT NULL'];
    const fits = (s: string) => columns.every((x) => firstSupported(x.c!, [s])?.strategy === s);
    if (!fits(strategy)) {
      instead = `${strategy} does not fit every column of the FK`;
      strategy = fits('hash') ? 'hash' : '';
    }
    for (const { m, t, c } of columns) {
      const own = candidates.get(m);
      if (!strategy) {
        candidates.delete(m);
        skipped.set(
          m,
          `FK ${fks} joins it to ${lead}, and no strategy fits every column of the FK: write one sql: rule for them`,
        );
        undecided.add(m);
        continue;
      }
      const partners = members.filter((x) => x !== m);
      const change = strategy !== wanted ? ` (${strategy}, not ${wanted}: ${instead})` : '';
      const why =
        m === lead || (own && own.strategy === wanted)
          ? `${own!.why}; FK ${fks}: ${partners.join(', ')} masked the same way, so references still match${change}`
          : `its values are keys of ${lead} (FK ${fks}): masked the same way (deterministic), so the reference still matches${change}`;
      candidates.set(m, { table: t, column: c!, strategy, why, kind: own?.kind ?? null });
    }
  }
}
