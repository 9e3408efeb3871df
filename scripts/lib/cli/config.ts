// envsync.yaml: the project's one configuration file, read from the repository root (or
// --config), checked against its schema with every problem reported at once.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { InputError, InputErrors } from '../base/errors.ts';
import type { FlagSpec } from '../base/flags.ts';
import { parseStrategy } from '../masking/strategies.ts';
import type {
  ContentTableConfig,
  EnvsyncConfig,
  MaskingConfig,
  MaskingRule,
  SideEffectsConfig,
} from '../results/config.ts';
import { repoRoot } from './env-file.ts';

export type {
  ContentTableConfig,
  EnvsyncConfig,
  MaskingConfig,
  MaskingRule,
  MaskStrategy,
  SideEffectsConfig,
} from '../results/config.ts';

export const DEFAULT_SIDE_EFFECTS: SideEffectsConfig = {
  webhooks: 'disable',
  cron: 'disable',
  subscriptions: 'disable',
  rewrite: null,
};

const CONFIG_FILE = 'envsync.yaml';

/** The config at `file` (default envsync.yaml at the repository root); none when that default is absent. */
export function loadConfig(file?: string): EnvsyncConfig {
  const where = file ?? path.join(repoRoot, CONFIG_FILE);
  if (!existsSync(where)) {
    if (file) throw new InputError(`--config ${file} does not exist`, `give the path of an ${CONFIG_FILE}`);
    return { file: null, content: null, masking: null, sideEffects: DEFAULT_SIDE_EFFECTS };
  }
  const doc = parseDocument(readFileSync(where, 'utf8'));
  const shown = path.relative(process.cwd(), where) || where;
  if (doc.errors.length) {
    throw new InputErrors(
      doc.errors.map(
        (e) =>
          new InputError(
            `${shown}:${e.linePos?.[0]?.line ?? 1}: ${e.message.split('\n')[0]}`,
            `fix the YAML in ${shown}`,
          ),
      ),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (!isObject(raw)) throw new InputError(`${shown}: the file is not a mapping`, 'start it with `content:`');
  const problems: string[] = [];
  for (const key of Object.keys(raw))
    if (!['content', 'masking', 'side_effects'].includes(key)) problems.push(`unknown section ${key}`);
  const config: EnvsyncConfig = {
    file: where,
    content: contentOf(raw.content, problems),
    masking: maskingOf(raw.masking, problems),
    sideEffects: sideEffectsOf(raw.side_effects, problems),
  };
  if (problems.length)
    throw new InputErrors(
      problems.map(
        (p) =>
          new InputError(
            `${shown}: ${p}`,
            `see docs/${p.startsWith('masking') || p.startsWith('side_effects') ? 'masking' : 'content-sync'}.md for the ${CONFIG_FILE} schema`,
          ),
      ),
    );
  return config;
}

/** The `masking` section: which tables hold personal data, and each column's rule. */
function maskingOf(raw: unknown, problems: string[]): MaskingConfig | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) {
    problems.push('masking must be a mapping with personal and rules');
    return null;
  }
  for (const key of Object.keys(raw))
    if (key !== 'personal' && key !== 'rules') problems.push(`masking: unknown key ${key}`);
  const personal = raw.personal ?? [];
  if (!isStringList(personal)) problems.push('masking.personal: a list of schema.table');
  else
    for (const t of personal)
      if (!/^[^.\s*]+\.[^.\s*]+$/.test(t))
        problems.push(`masking.personal: name tables as schema.table, not ${t}`);
  const rules: MaskingRule[] = [];
  const given = raw.rules ?? {};
  if (!isObject(given)) problems.push('masking.rules must be a mapping of schema.table.column to a strategy');
  else
    for (const [pattern, text] of Object.entries(given)) {
      if (!/^[^.\s]+\.[^.\s]+\.[^.\s]+$/.test(pattern)) {
        problems.push(`masking.rules.${pattern}: name columns as schema.table.column (each part may be *)`);
        continue;
      }
      const strategy = parseStrategy(text);
      if (typeof strategy === 'string') problems.push(`masking.rules.${pattern}: ${strategy}`);
      else rules.push({ pattern, strategy });
    }
  return { personal: isStringList(personal) ? personal : [], rules };
}

/** The `side_effects` section, over the defaults (everything disabled). */
function sideEffectsOf(raw: unknown, problems: string[]): SideEffectsConfig {
  if (raw === undefined || raw === null) return DEFAULT_SIDE_EFFECTS;
  if (!isObject(raw)) {
    problems.push('side_effects must be a mapping');
    return DEFAULT_SIDE_EFFECTS;
  }
  const out: SideEffectsConfig = { ...DEFAULT_SIDE_EFFECTS };
  for (const key of Object.keys(raw))
    if (!['webhooks', 'cron', 'subscriptions', 'rewrite'].includes(key))
      problems.push(`side_effects: unknown key ${key}`);
  const pick = <K extends 'webhooks' | 'cron' | 'subscriptions'>(key: K, allowed: string[]) => {
    const v = raw[key];
    if (v === undefined) return;
    if (typeof v !== 'string' || !allowed.includes(v))
      problems.push(`side_effects.${key}: ${allowed.join(' or ')}, not ${String(v)}`);
    else out[key] = v as SideEffectsConfig[K];
  };
  pick('webhooks', ['disable', 'rewrite', 'keep']);
  pick('cron', ['disable', 'rewrite', 'keep']);
  pick('subscriptions', ['disable', 'keep']);
  const r = raw.rewrite;
  if (r !== undefined) {
    if (!isObject(r) || typeof r.from !== 'string' || typeof r.to !== 'string' || !r.from || !r.to)
      problems.push('side_effects.rewrite: a mapping with from and to (URL prefixes)');
    else out.rewrite = { from: r.from, to: r.to };
  }
  if ((out.webhooks === 'rewrite' || out.cron === 'rewrite') && !out.rewrite)
    problems.push(
      'side_effects: rewrite needs side_effects.rewrite: { from: <production URL prefix>, to: <its replacement> }',
    );
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0);

/** The `content` section checked key by key; every problem is collected before one error is thrown. */
function contentOf(content: unknown, problems: string[]): EnvsyncConfig['content'] {
  let tables: Record<string, ContentTableConfig> | null = null;
  if (content !== undefined) {
    if (!isObject(content) || !isObject(content.tables))
      problems.push('content.tables must be a mapping of schema.table to settings');
    else {
      for (const key of Object.keys(content))
        if (key !== 'tables') problems.push(`content: unknown key ${key}`);
      tables = {};
      for (const [name, settings] of Object.entries(content.tables)) {
        const at = `content.tables.${name}`;
        if (!/^[^.\s]+\.[^.\s]+$/.test(name)) problems.push(`${at}: name tables as schema.table`);
        const s = settings ?? {};
        if (!isObject(s)) {
          problems.push(`${at}: settings must be a mapping (or {})`);
          continue;
        }
        for (const key of Object.keys(s))
          if (!['key', 'delete', 'triggers', 'ignore_columns'].includes(key))
            problems.push(`${at}: unknown setting ${key}`);
        if (s.key !== undefined && !isStringList(s.key)) problems.push(`${at}.key: a list of column names`);
        if (s.delete !== undefined && s.delete !== 'keep' && s.delete !== 'delete')
          problems.push(`${at}.delete: keep or delete, not ${String(s.delete)}`);
        if (s.triggers !== undefined && s.triggers !== 'skip' && s.triggers !== 'fire')
          problems.push(`${at}.triggers: skip or fire, not ${String(s.triggers)}`);
        if (s.ignore_columns !== undefined && !isStringList(s.ignore_columns))
          problems.push(`${at}.ignore_columns: a list of column names`);
        tables[name] = {
          key: isStringList(s.key) ? s.key : null,
          delete: s.delete === 'delete' ? 'delete' : 'keep',
          triggers: s.triggers === 'fire' ? 'fire' : 'skip',
          ignoreColumns: isStringList(s.ignore_columns) ? s.ignore_columns : [],
        };
      }
    }
  }
  return tables ? { tables } : null;
}

/** The flags of the jobs that copy rows (prepare, sync, validate): masking, and the config it reads. */
export const maskingFlags: Record<'mask' | 'config', FlagSpec> = {
  mask: {
    type: 'boolean',
    description:
      'mask personal data on the way (envsync.yaml masking, MASKING_KEY) and neutralize webhooks, copied cron jobs and subscriptions; forced when the source is production',
  },
  config: { type: 'string', value: '<file>', description: 'the configuration (default envsync.yaml)' },
};

/** --mask and --config; a --config that does not exist is bad input even when nothing reads it this run. */
export function parseMaskingFlags(flags: Record<string, unknown>): { mask: boolean; config?: string } {
  const config = typeof flags.config === 'string' ? flags.config : undefined;
  if (config !== undefined && !existsSync(config))
    throw new InputError(`--config ${config} does not exist`, `give the path of an ${CONFIG_FILE}`);
  return { mask: flags.mask === true, ...(config !== undefined ? { config } : {}) };
}
