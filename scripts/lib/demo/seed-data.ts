// Deterministic demo data for the hotel guest-chat app, streamed with COPY.
// Scale 1 ≈ 50k rows; scale 100 ≈ 5M rows. Same scale → same rows, byte for byte.

import type postgres from 'postgres';
import { copyIn } from '../db/copy.ts';

type Cell = string | number | boolean | null | string[] | Uint8Array | object;

interface TableSeed {
  schema: string;
  table: string;
  columns: string[];
  count: (scale: number) => number;
  row: (i: number, scale: number) => Cell[];
  /** Identity columns whose sequence must continue after the seeded values. */
  identity?: string;
}

// ── deterministic values ────────────────────────────────────────────────────
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A stable number in [0, n) for (stream, i). */
const pick = (stream: number, i: number, n: number): number => mix(stream, i) % n;

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** A stable v4-shaped UUID for entity `kind`, index `i`. */
export function seedUuid(kind: number, i: number): string {
  const a = hex8(mix(kind, i));
  const b = hex8(mix(kind + 101, i));
  const c = hex8(mix(kind + 202, i));
  const d = hex8(mix(kind + 303, i));
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${((Number.parseInt(c[0]!, 16) & 3) | 8).toString(16)}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

const EPOCH = Date.UTC(2025, 0, 1);
const dayCache: string[] = [];
const day = (days: number): string => {
  let d = dayCache[days];
  if (d === undefined) {
    d = new Date(EPOCH + days * 86_400_000).toISOString().slice(0, 10);
    dayCache[days] = d;
  }
  return d;
};
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));
/** `minutes` after 2025-01-01 00:00 UTC, as timestamptz text (no Date per row: seeding is hot). */
const at = (minutes: number): string => {
  const m = Math.floor(minutes);
  return `${day(Math.floor(m / 1440))} ${two(Math.floor((m % 1440) / 60))}:${two(m % 60)}:00+00`;
};

const K = {
  tenant: 1,
  user: 2,
  unit: 3,
  reservation: 4,
  conversation: 5,
  submission: 6,
  object: 7,
  identity: 8,
};

const WORDS = [
  'hola',
  'room',
  'check-in',
  'towels',
  'wifi',
  'breakfast',
  'pool',
  'late',
  'checkout',
  'gracias',
  'beach',
  'taxi',
  'airport',
  'key',
  'parking',
  'dinner',
  'spa',
  'reserva',
  'señor',
  'café',
  'noise',
  'air',
  'conditioning',
  'map',
  'tour',
  'boat',
  'snorkel',
  'rain',
  'umbrella',
  'ok',
];
// A fixed pool of deterministic sentences per length: picking one is far cheaper than building one.
const POOL = 1024;
const sentencePool: string[][] = [];
const sentence = (stream: number, i: number, words: number): string => {
  let pool = sentencePool[words];
  if (!pool) {
    pool = [];
    for (let k = 0; k < POOL; k++) {
      const out: string[] = [];
      for (let w = 0; w < words; w++) out.push(WORDS[pick(w + words * 31, k, WORDS.length)]!);
      pool.push(out.join(' '));
    }
    sentencePool[words] = pool;
  }
  return pool[pick(stream, i, POOL)]!;
};
const COUNTRY_NAMES = ['Colombia', 'España', 'México', 'Perú', 'Chile', 'Argentina', 'Brasil', 'Ecuador'];
const UNIT_TYPES = ['room', 'suite', 'apartment', 'cabin', 'dorm'];
const AMENITIES = ['wifi', 'ac', 'kitchen', 'balcony', 'sea view', 'jacuzzi', 'crib'];
const TIERS = ['free', 'basic', 'premium', 'enterprise'];
const ROLES = ['guest', 'assistant', 'staff'];
const LEVELS = ['info', 'warn', 'error'];

// ── sizes ───────────────────────────────────────────────────────────────────
const tenants = (s: number) => 10 * s;
const staff = (s: number) => 2 * tenants(s);
const users = (s: number) => 500 * s;
const units = (s: number) => 5 * tenants(s);
const reservations = (s: number) => 2000 * s;
const conversations = (s: number) => 2000 * s;
const MESSAGES_PER_CONVERSATION = 20;
const amenities = (s: number) => 10 * s;
const spots = (s: number) => 1000 * s;
const SPOT_CATEGORIES = ['beaches', 'museums', 'food', 'nightlife', 'nature', 'tours', 'markets', 'history'];

const tenantOfUnit = (u: number) => Math.floor(u / 5);

export const seedTables: TableSeed[] = [
  {
    schema: 'public',
    table: 'sire_countries',
    columns: ['country_code', 'name', 'sire_code'],
    count: () => 250,
    row: (i) => [
      `C${String(i).padStart(3, '0')}`,
      `${COUNTRY_NAMES[i % COUNTRY_NAMES.length]} ${i}`,
      100 + i,
    ],
  },
  {
    schema: 'public',
    table: 'sire_cities',
    columns: ['city_code', 'country_code', 'name'],
    count: () => 1000,
    row: (i) => [`K${String(i).padStart(5, '0')}`, `C${String(i % 250).padStart(3, '0')}`, `Ciudad ${i}`],
  },
  {
    schema: 'public',
    table: 'tenant_registry',
    columns: [
      'tenant_id',
      'slug',
      'nombre_comercial',
      'subscription_tier',
      'features',
      'owner_user_id',
      'created_at',
      'updated_at',
    ],
    count: tenants,
    row: (i) => [
      seedUuid(K.tenant, i),
      `hotel-${i}`,
      `Hotel ${i} "Simmer Down"`,
      TIERS[i % TIERS.length]!,
      { chat: true, sire: i % 2 === 0, languages: ['es', 'en'] },
      seedUuid(K.user, 2 * i),
      at(i * 60),
      at(i * 60 + 30),
    ],
  },
  {
    schema: 'auth',
    table: 'users',
    columns: [
      'instance_id',
      'id',
      'aud',
      'role',
      'email',
      'encrypted_password',
      'email_confirmed_at',
      'raw_app_meta_data',
      'raw_user_meta_data',
      'created_at',
      'updated_at',
      'is_anonymous',
    ],
    count: users,
    row: (i) => [
      '00000000-0000-0000-0000-000000000000',
      seedUuid(K.user, i),
      'authenticated',
      'authenticated',
      `user${i}@example.test`,
      `$2a$10$${hex8(mix(9, i))}${hex8(mix(10, i))}seededhash`,
      i % 7 === 0 ? null : at(i),
      { provider: 'email', providers: ['email'] },
      { display_name: `Usuario ${i}` },
      at(i),
      at(i + 5),
      false,
    ],
  },
  {
    schema: 'auth',
    table: 'identities',
    columns: ['provider_id', 'user_id', 'identity_data', 'provider', 'created_at', 'updated_at', 'id'],
    count: users,
    row: (i) => [
      seedUuid(K.user, i),
      seedUuid(K.user, i),
      { sub: seedUuid(K.user, i), email: `User${i}@Example.test` },
      'email',
      at(i),
      at(i),
      seedUuid(K.identity, i),
    ],
  },
  {
    // What the on_auth_user_created trigger would have written (the seed loads with triggers off).
    schema: 'public',
    table: 'profiles',
    columns: ['id', 'email', 'display_name', 'created_at'],
    count: users,
    row: (i) => [seedUuid(K.user, i), `user${i}@example.test`, `Usuario ${i}`, at(i)],
  },
  {
    schema: 'public',
    table: 'staff_users',
    columns: [
      'user_id',
      'tenant_id',
      'full_name',
      'role',
      'permissions',
      'manager_id',
      'created_at',
      'updated_at',
    ],
    count: staff,
    row: (i) => [
      seedUuid(K.user, i),
      seedUuid(K.tenant, Math.floor(i / 2)),
      `Staff ${i}`,
      i % 2 === 0 ? 'owner' : 'staff',
      i % 2 === 0 ? ['all'] : ['chat', 'reservations'],
      i % 2 === 0 ? null : seedUuid(K.user, i - 1),
      at(i),
      at(i),
    ],
  },
  {
    schema: 'public',
    table: 'user_tenant_permissions',
    columns: ['user_id', 'tenant_id', 'permission', 'granted_at'],
    count: (s) => 100 * s,
    row: (i, s) => [seedUuid(K.user, staff(s) + i), seedUuid(K.tenant, i % tenants(s)), 'guest', at(i)],
  },
  {
    schema: 'hotels',
    table: 'accommodation_units',
    columns: [
      'id',
      'tenant_id',
      'parent_unit_id',
      'name',
      'unit_type',
      'amenities',
      'base_price',
      'capacity',
      'created_at',
      'updated_at',
    ],
    count: units,
    row: (i) => [
      seedUuid(K.unit, i),
      seedUuid(K.tenant, tenantOfUnit(i)),
      i % 5 === 0 ? null : seedUuid(K.unit, i - (i % 5)),
      `Unit ${i}`,
      UNIT_TYPES[i % UNIT_TYPES.length]!,
      AMENITIES.filter((_, a) => (mix(11, i) >> a) & 1),
      (50 + pick(12, i, 45000) / 100).toFixed(2),
      1 + pick(13, i, 6),
      at(i),
      at(i),
    ],
  },
  {
    schema: 'hotels',
    table: 'policies',
    columns: ['tenant_id', 'policy_key', 'title', 'body'],
    count: (s) => 3 * tenants(s),
    row: (i) => [
      seedUuid(K.tenant, Math.floor(i / 3)),
      ['checkin', 'pets', 'cancellation'][i % 3]!,
      `Policy ${i % 3}`,
      sentence(14, i, 30),
    ],
  },
  {
    schema: 'public',
    table: 'guest_reservations',
    columns: [
      'id',
      'tenant_id',
      'accommodation_unit_id',
      'guest_name',
      'guest_email',
      'guest_country',
      'check_in',
      'check_out',
      'total_price',
      'status',
      'created_at',
      'updated_at',
    ],
    count: reservations,
    row: (i, s) => {
      const unit = pick(15, i, units(s));
      const start = pick(16, i, 365);
      return [
        seedUuid(K.reservation, i),
        seedUuid(K.tenant, tenantOfUnit(unit)),
        i % 50 === 0 ? null : seedUuid(K.unit, unit),
        `Huésped ${i}`,
        i % 3 === 0 ? null : `guest${i}@mail.test`,
        `C${String(pick(17, i, 250)).padStart(3, '0')}`,
        day(start),
        day(start + 1 + pick(18, i, 9)),
        (pick(19, i, 500000) / 100).toFixed(2),
        i % 11 === 0 ? 'cancelled' : 'confirmed',
        at(i * 3),
        at(i * 3 + 1),
      ];
    },
  },
  {
    schema: 'public',
    table: 'chat_conversations',
    columns: [
      'id',
      'tenant_id',
      'reservation_id',
      'title',
      'channel',
      'message_count',
      'created_at',
      'updated_at',
    ],
    count: conversations,
    row: (i, s) => {
      const r = pick(20, i, reservations(s));
      const unit = pick(15, r, units(s));
      return [
        seedUuid(K.conversation, i),
        seedUuid(K.tenant, tenantOfUnit(unit)),
        i % 10 === 0 ? null : seedUuid(K.reservation, r),
        i % 4 === 0 ? null : sentence(21, i, 4),
        ['web', 'whatsapp', 'email'][i % 3]!,
        MESSAGES_PER_CONVERSATION,
        at(i * 7),
        at(i * 7 + 60),
      ];
    },
  },
  {
    schema: 'public',
    table: 'chat_messages',
    columns: ['id', 'conversation_id', 'role', 'content', 'metadata', 'tokens', 'sentiment', 'created_at'],
    count: (s) => conversations(s) * MESSAGES_PER_CONVERSATION,
    identity: 'id',
    row: (i) => {
      const c = Math.floor(i / MESSAGES_PER_CONVERSATION);
      return [
        i + 1,
        seedUuid(K.conversation, c),
        ROLES[i % 3]!,
        sentence(22, i, 6 + pick(23, i, 20)),
        i % 5 === 0 ? { model: 'gpt', latency_ms: pick(24, i, 3000), tags: ['auto'] } : null,
        pick(25, i, 400),
        i % 9 === 0 ? null : (pick(26, i, 2001) / 1000 - 1).toFixed(3),
        at(c * 7 + (i % MESSAGES_PER_CONVERSATION)),
      ];
    },
  },
  {
    // What the audit triggers would have written for the seeded reservations.
    schema: 'public',
    table: 'audit_log',
    columns: ['id', 'table_name', 'operation', 'row_key', 'changed_by', 'changed_at'],
    count: reservations,
    identity: 'id',
    row: (i) => [
      i + 1,
      'public.guest_reservations',
      'INSERT',
      { pk: seedUuid(K.reservation, i) },
      null,
      at(i * 3),
    ],
  },
  {
    schema: 'public',
    table: 'compliance_submissions',
    columns: ['id', 'reservation_id', 'submitted_by', 'document', 'status', 'submitted_at'],
    count: (s) => 500 * s,
    row: (i, s) => {
      const doc = new Uint8Array(64 + (i % 192));
      for (let b = 0; b < doc.length; b++) doc[b] = mix(27 + b, i) & 0xff;
      return [
        seedUuid(K.submission, i),
        seedUuid(K.reservation, pick(28, i, reservations(s))),
        seedUuid(K.user, pick(29, i, staff(s))),
        doc,
        ['pending', 'sent', 'accepted'][i % 3]!,
        at(i * 11),
      ];
    },
  },
  {
    schema: 'public',
    table: 'job_logs',
    columns: ['job_name', 'level', 'message', 'context', 'logged_at'],
    count: (s) => 1000 * s,
    row: (i) => [
      ['sire-export', 'embeddings', 'cleanup'][i % 3]!,
      LEVELS[pick(30, i, 3)]!,
      sentence(31, i, 8),
      i % 2 ? { attempt: i % 4 } : null,
      at(i * 2),
    ],
  },
  {
    schema: 'public',
    table: 'sync_history',
    columns: ['id', 'source', 'target', 'started_at', 'finished_at', 'ok'],
    count: () => 20,
    identity: 'id',
    row: (i) => [
      i + 1,
      'production',
      'staging',
      at(i * 1440),
      i === 19 ? null : at(i * 1440 + 9),
      i % 6 !== 5,
    ],
  },
  {
    schema: 'storage',
    table: 'objects',
    columns: ['id', 'bucket_id', 'name', 'owner', 'metadata', 'created_at', 'updated_at', 'last_accessed_at'],
    count: (s) => 100 * s,
    row: (i, s) => {
      const t = i % tenants(s);
      return [
        seedUuid(K.object, i),
        'tenant-files',
        `${seedUuid(K.tenant, t)}/docs/file-${i}.pdf`,
        seedUuid(K.user, 2 * t),
        { size: 1000 + i, mimetype: 'application/pdf' },
        at(i),
        at(i),
        at(i),
      ];
    },
  },
  // The hotels' public catalogue (content, promoted with content-sync) and guests' rows that point at it.
  {
    schema: 'public',
    table: 'amenities',
    columns: ['id', 'slug', 'name', 'description', 'price', 'updated_at'],
    count: amenities,
    identity: 'id',
    row: (i) => [
      i + 1,
      `${AMENITIES[i % AMENITIES.length]!.replace(' ', '-')}-${i}`,
      `${AMENITIES[i % AMENITIES.length]} ${i}`,
      sentence(30, i, 12),
      i % 4 === 0 ? null : (pick(31, i, 10000) / 100).toFixed(2),
      at(i * 30),
    ],
  },
  {
    schema: 'public',
    table: 'spot_categories',
    columns: ['id', 'slug', 'name', 'featured_spot_id'],
    count: () => SPOT_CATEGORIES.length,
    identity: 'id',
    // Each category features its first spot (spot i belongs to category i % categories).
    row: (i) => [
      i + 1,
      SPOT_CATEGORIES[i]!,
      `${SPOT_CATEGORIES[i]![0]!.toUpperCase()}${SPOT_CATEGORIES[i]!.slice(1)}`,
      i + 1,
    ],
  },
  {
    schema: 'public',
    table: 'tourist_spots',
    columns: [
      'id',
      'slug',
      'category_id',
      'title',
      'body',
      'latitude',
      'longitude',
      'view_count',
      'updated_at',
    ],
    count: spots,
    identity: 'id',
    row: (i) => [
      i + 1,
      `spot-${i}`,
      (i % SPOT_CATEGORIES.length) + 1,
      `${SPOT_CATEGORIES[i % SPOT_CATEGORIES.length]} ${i}`,
      sentence(32, i, 20 + pick(33, i, 20)),
      (10 + pick(34, i, 100000) / 10000).toFixed(5),
      (-75 + pick(35, i, 100000) / 10000).toFixed(5),
      pick(36, i, 5000),
      at(i * 10),
    ],
  },
  {
    schema: 'public',
    table: 'reservation_extras',
    columns: ['id', 'reservation_id', 'amenity_id', 'requested_at'],
    count: (s) => reservations(s) / 4,
    identity: 'id',
    row: (i, s) => [i + 1, seedUuid(K.reservation, 4 * i), pick(37, i, amenities(s)) + 1, at(i * 12 + 5)],
  },
  {
    schema: 'public',
    table: 'saved_spots',
    columns: ['user_id', 'spot_id', 'saved_at'],
    count: (s) => spots(s) / 2,
    row: (i, s) => [seedUuid(K.user, i % users(s)), 2 * i + 1, at(i * 20)],
  },
];

// ── COPY text format ─────────────────────────────────────────────────────────
const NEEDS_ESCAPE = /[\\\t\n\r]/;
function escapeCopy(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

function arrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

function copyCell(v: Cell): string {
  if (v === null) return '\\N';
  if (typeof v === 'string') return escapeCopy(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return `\\\\x${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return escapeCopy(arrayLiteral(v));
  return escapeCopy(JSON.stringify(v));
}

function* copyChunks(
  seed: TableSeed,
  scale: number,
  keep: (i: number) => boolean,
  counter: { rows: number; onChunk?: (done: number, total: number) => void },
): Generator<string> {
  const n = seed.count(scale);
  let chunk = '';
  for (let i = 0; i < n; i++) {
    if (!keep(i)) continue;
    const cells = seed.row(i, scale);
    let line = copyCell(cells[0]!);
    for (let c = 1; c < cells.length; c++) line += `\t${copyCell(cells[c]!)}`;
    chunk += `${line}\n`;
    counter.rows++;
    if (chunk.length > 256 * 1024) {
      counter.onChunk?.(i + 1, n);
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

export interface SeedOptions {
  scale: number;
  /** Which rows of a table to write (partial copies); all by default. */
  keep?: (table: string, i: number) => boolean;
  onTable?: (table: string, rows: number, ms: number) => void;
  /** Long tables: called at most every `progressEveryMs` (default 5 s) while loading. */
  onProgress?: (progress: SeedProgress) => void;
  progressEveryMs?: number;
}

export interface SeedProgress {
  table: string;
  done: number;
  total: number;
  rowsPerSecond: number;
  etaSeconds: number;
}

/** One progress line: rows done of total, rate, ETA. */
export function describeSeedProgress(p: SeedProgress): string {
  const n = (v: number) => v.toLocaleString('en-US');
  return `${p.table}: ${n(p.done)} of ${n(p.total)} rows, ${n(p.rowsPerSecond)} rows/s, about ${p.etaSeconds} s left`;
}

export interface SeedResult {
  rows: Record<string, number>;
  skippedTables: string[];
}

/**
 * Seeds every demo table that exists in the database, in one transaction, with
 * triggers off (session_replication_role = replica) so the load is fast; the rows
 * the triggers would have written are part of the data set.
 */
export async function seedDemoData(sql: postgres.Sql, options: SeedOptions): Promise<SeedResult> {
  const rows: Record<string, number> = {};
  const skippedTables: string[] = [];
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    for (const seed of seedTables) {
      const qualified = `${seed.schema}.${seed.table}`;
      const [exists] = await tx`select to_regclass(${`"${seed.schema}"."${seed.table}"`}) is not null as ok`;
      if (!exists?.ok) {
        skippedTables.push(qualified);
        continue;
      }
      const started = Date.now();
      const keep = (i: number) => options.keep?.(qualified, i) ?? true;
      let lastReport = started;
      const counter = {
        rows: 0,
        onChunk: (done: number, total: number) => {
          const now = Date.now();
          if (!options.onProgress || now - lastReport < (options.progressEveryMs ?? 5000)) return;
          lastReport = now;
          const rowsPerSecond = Math.round((done / Math.max(1, now - started)) * 1000);
          const etaSeconds = Math.round((total - done) / Math.max(1, rowsPerSecond));
          options.onProgress({ table: qualified, done, total, rowsPerSecond, etaSeconds });
        },
      };
      await copyIn(
        tx`copy ${tx(seed.schema)}.${tx(seed.table)} (${tx(seed.columns)}) from stdin`,
        copyChunks(seed, options.scale, keep, counter),
      );
      const count = counter.rows;
      if (seed.identity) {
        await tx`select setval(pg_get_serial_sequence(${qualified}, ${seed.identity}),
                               coalesce((select max(${tx(seed.identity)}) from ${tx(seed.schema)}.${tx(seed.table)}), 1))`;
      }
      rows[qualified] = count;
      options.onTable?.(qualified, count, Date.now() - started);
    }
    // The materialized view is created WITH NO DATA by its migration.
    const [mv] = await tx`select to_regclass('public.mv_tenant_stats') is not null as ok`;
    if (mv?.ok) await tx`refresh materialized view public.mv_tenant_stats`;
  });
  await sql`analyze`;
  return { rows, skippedTables };
}
