// The masked value of one column value: deterministic and keyed (HMAC-SHA256 with MASKING_KEY),
// so the same input gives the same output in every table and every run — FKs and joins still line
// up, unique columns stay unique — and nobody without the key can map a masked value back.
// Values arrive and leave in COPY's text format (the source's own escaping, `\N` for NULL): the
// HMAC is taken over that text, which is one canonical spelling of the value.

import { createHmac } from 'node:crypto';
import type { MaskStrategy } from '../results/config.ts';

/** What a strategy must know of its column to produce a valid value. */
export interface ColumnKind {
  name: string;
  /** format_type: `text`, `character varying(40)`, `uuid`, `inet`, `timestamp with time zone`… */
  type: string;
  notNull: boolean;
}

export const NULL = '\\N';

const FIRST = [
  'Ada',
  'Alan',
  'Amara',
  'Ana',
  'Ben',
  'Bo',
  'Carla',
  'Chen',
  'Dara',
  'David',
  'Elif',
  'Emil',
  'Eva',
  'Farah',
  'Felix',
  'Grace',
  'Hana',
  'Hugo',
  'Ines',
  'Ivan',
  'Jana',
  'Joao',
  'Kai',
  'Kenji',
  'Lena',
  'Leo',
  'Lina',
  'Luca',
  'Maya',
  'Mateo',
  'Mina',
  'Nia',
  'Noah',
  'Nora',
  'Omar',
  'Pia',
  'Priya',
  'Rafa',
  'Rosa',
  'Sami',
  'Sara',
  'Tariq',
  'Teo',
  'Una',
  'Vera',
  'Wen',
  'Yara',
  'Zoe',
];
const LAST = [
  'Abara',
  'Berg',
  'Castro',
  'Dahl',
  'Eze',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ito',
  'Jensen',
  'Kowal',
  'Larsen',
  'Mendes',
  'Nakamura',
  'Okafor',
  'Perez',
  'Quinn',
  'Rossi',
  'Silva',
  'Tanaka',
  'Usman',
  'Varga',
  'Weber',
  'Xu',
  'Yilmaz',
  'Zeller',
  'Moreau',
  'Novak',
  'Ortiz',
  'Petrov',
  'Reyes',
  'Sato',
];
const STREETS = [
  'Oak',
  'Maple',
  'Cedar',
  'Pine',
  'Elm',
  'Birch',
  'Willow',
  'Harbor',
  'Hill',
  'River',
  'Lake',
  'Park',
];
const CITIES = [
  'Springfield',
  'Riverton',
  'Lakeside',
  'Fairview',
  'Greenville',
  'Milton',
  'Ashford',
  'Brookfield',
];

/** The declared length of a `character varying(n)` / `character(n)` column, or null. */
export function declaredLength(type: string): number | null {
  const m = /^(?:character varying|character|varchar|bpchar)\((\d+)\)$/.exec(type);
  return m ? Number(m[1]) : null;
}

const TEXT_TYPES = /^(text|citext|character varying(\(\d+\))?|character\(\d+\)|name|"?[\w.]*citext"?)$/;
const INT_TYPES: Record<string, bigint> = { smallint: 1n << 15n, integer: 1n << 31n, bigint: 1n << 63n };

/** Characters a strategy writes at most, for the columns whose length is declared. */
const WIDTH: Partial<Record<MaskStrategy['kind'], number>> = { email: 36, phone: 16, name: 24 };

/**
 * Why `strategy` cannot produce a value of `column`'s type, or null when it can (checked before
 * anything is written: a rule the copy could not honour is bad input).
 */
export function unsupported(strategy: MaskStrategy, column: ColumnKind): string | null {
  const t = column.type;
  const text = TEXT_TYPES.test(t);
  const length = declaredLength(t);
  switch (strategy.kind) {
    case 'keep':
    case 'sql':
    case 'constant':
      return null;
    case 'null':
      return column.notNull ? 'the column is NOT NULL' : null;
    case 'email':
    case 'phone':
    case 'name':
      if (!text) return `${strategy.kind} writes text, and the column is ${t}`;
      if (length !== null && length < WIDTH[strategy.kind]!)
        return `${strategy.kind} needs ${WIDTH[strategy.kind]} characters, and the column is ${t}`;
      return null;
    case 'hash':
      if (text)
        return length !== null && length < 8 ? `hash needs 8 characters, and the column is ${t}` : null;
      return ['uuid', 'bytea', 'json', 'jsonb', ...Object.keys(INT_TYPES)].includes(t)
        ? null
        : `hash cannot make a ${t}`;
    case 'fake':
      return fakeKind(column) === null ? `fake has no realistic ${t}` : null;
  }
}

/** What `fake` makes for a column: from its type first, then from its name. */
function fakeKind(column: ColumnKind): string | null {
  const t = column.type;
  if (t === 'inet' || t === 'cidr') return 'ip';
  if (t === 'date') return 'date';
  if (t.startsWith('timestamp')) return 'timestamp';
  if (t === 'uuid' || t === 'bytea' || t === 'json' || t === 'jsonb' || t in INT_TYPES) return 'hash';
  if (!TEXT_TYPES.test(t)) return null;
  const words = column.name
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  const has = (...w: string[]) => w.some((x) => words.includes(x));
  if (has('email', 'mail')) return 'email';
  if (has('phone', 'mobile', 'tel', 'telephone', 'fax')) return 'phone';
  if (has('ip')) return 'ip';
  if (has('city', 'town')) return 'city';
  if (has('zip', 'postal', 'postcode')) return 'postal';
  if (has('address', 'street', 'line1', 'line2')) return 'address';
  if (has('name', 'first', 'last', 'surname', 'given', 'family')) return 'name';
  return 'hash';
}

/** The masker: one keyed HMAC per value. */
export function masker(key: string) {
  const mac = (kind: string, value: string) => createHmac('sha256', key).update(`${kind}\0${value}`).digest();
  const pick = <T>(list: readonly T[], h: Buffer, at: number) => list[h.readUInt16BE(at) % list.length]!;
  const digits = (h: Buffer, n: number) => {
    let out = '';
    for (let i = 0; out.length < n; i++) out += String(h[i % h.length]! % 10);
    return out;
  };
  const make: Record<string, (v: string, c: ColumnKind) => string> = {
    // example.com is reserved (RFC 2606): nothing sent there reaches anyone.
    email: (v) => `user.${mac('email', v).toString('hex').slice(0, 16)}@example.com`,
    // +999: the country code ITU reserves, never assigned; 15 digits in all (E.164's maximum).
    phone: (v) => `+999${digits(mac('phone', v), 12)}`,
    name: (v) => {
      const h = mac('name', v);
      return `${pick(FIRST, h, 0)} ${pick(LAST, h, 2)}`;
    },
    hash: (v, c) => {
      const h = mac('hash', v);
      if (c.type === 'uuid') {
        const b = Buffer.from(h.subarray(0, 16));
        b[6] = (b[6]! & 0x0f) | 0x40; // version 4
        b[8] = (b[8]! & 0x3f) | 0x80; // RFC 4122 variant
        const x = b.toString('hex');
        return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
      }
      if (c.type in INT_TYPES) return String(h.readBigUInt64BE(0) % INT_TYPES[c.type]!);
      if (c.type === 'bytea') return `\\\\x${h.toString('hex')}`;
      if (c.type === 'json' || c.type === 'jsonb') return `"${h.toString('hex').slice(0, 32)}"`;
      const length = declaredLength(c.type);
      return h.toString('hex').slice(0, Math.min(32, length ?? 32));
    },
    ip: (v) => {
      const h = mac('ip', v);
      return `10.${h[0]}.${h[1]}.${h[2]}`;
    },
    city: (v) => pick(CITIES, mac('city', v), 0),
    postal: (v) => digits(mac('postal', v), 5),
    address: (v) => {
      const h = mac('address', v);
      return `${1 + (h.readUInt16BE(0) % 9999)} ${pick(STREETS, h, 2)} Street`;
    },
    date: (v) => {
      const h = mac('date', v);
      const day = new Date(Date.UTC(1950, 0, 1) + (h.readUInt32BE(0) % 20_000) * 86_400_000);
      return day.toISOString().slice(0, 10);
    },
    timestamp: (v) => {
      const h = mac('timestamp', v);
      return new Date(Date.UTC(2000, 0, 1) + (h.readUInt32BE(0) % 900_000_000) * 1000)
        .toISOString()
        .replace('T', ' ')
        .replace('Z', '+00');
    },
  };
  return {
    /** The masked text of one COPY text-format field (`\N` for NULL stays NULL). */
    value(strategy: MaskStrategy, column: ColumnKind, field: string): string {
      if (strategy.kind === 'keep' || strategy.kind === 'sql') return field;
      if (strategy.kind === 'null') return NULL;
      if (field === NULL) return NULL;
      if (strategy.kind === 'constant') return escapeCopyText(strategy.value);
      if (strategy.kind === 'fake') {
        const kind = fakeKind(column)!;
        return make[kind]!(field, column);
      }
      return make[strategy.kind]!(field, column);
    },
  };
}

/** A value in COPY's text format: backslash, tab, newline and carriage return escaped. */
export function escapeCopyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

const STRATEGIES = ['email', 'phone', 'name', 'hash', 'null', 'fake', 'keep'] as const;

/** A strategy as written (`email`, `constant:n/a`, `sql:lower(email)`), or a problem. */
export function parseStrategy(text: unknown): MaskStrategy | string {
  if (typeof text !== 'string' || !text.trim()) return 'a strategy name';
  const t = text.trim();
  if ((STRATEGIES as readonly string[]).includes(t)) return { kind: t as (typeof STRATEGIES)[number] };
  if (t.startsWith('constant:')) return { kind: 'constant', value: t.slice('constant:'.length) };
  if (t.startsWith('sql:') && t.slice(4).trim()) return { kind: 'sql', expression: t.slice(4).trim() };
  return `${STRATEGIES.join(', ')}, constant:<value> or sql:<expression>, not ${t}`;
}
