// envsync.yaml: the project's one configuration file, read from the repository root (or
// --config), checked against its schema with every problem reported at once.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { InputError, InputErrors } from '../base/errors.ts';
import { repoRoot } from './env-file.ts';

export interface ContentTableConfig {
  /** The columns rows are matched on: the primary key when null, or a declared unique natural key. */
  key: string[] | null;
  /** Rows only the target has: kept (default) or deleted. */
  delete: 'keep' | 'delete';
  /** The target's triggers on the table: not fired (default) or fired. */
  triggers: 'skip' | 'fire';
  /** Columns left as the target has them (counters, caches). */
  ignoreColumns: string[];
}

export interface EnvsyncConfig {
  /** Where it was read from, or null when there is no file. */
  file: string | null;
  /** The content tables (`schema.table`): the allow-list content-sync may write; every other table is protected. */
  content: { tables: Record<string, ContentTableConfig> } | null;
}

const CONFIG_FILE = 'envsync.yaml';

/** The config at `file` (default envsync.yaml at the repository root); none when that default is absent. */
export function loadConfig(file?: string): EnvsyncConfig {
  const where = file ?? path.join(repoRoot, CONFIG_FILE);
  if (!existsSync(where)) {
    if (file) throw new InputError(`--config ${file} does not exist`, `give the path of an ${CONFIG_FILE}`);
    return { file: null, content: null };
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
  return { file: where, content: contentOf(doc.toJS() ?? {}, shown) };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0);

/** The `content` section checked key by key; every problem is collected before one error is thrown. */
function contentOf(raw: unknown, file: string): EnvsyncConfig['content'] {
  const problems: string[] = [];
  if (!isObject(raw)) throw new InputError(`${file}: the file is not a mapping`, 'start it with `content:`');
  for (const key of Object.keys(raw)) if (key !== 'content') problems.push(`unknown section ${key}`);
  const content = raw.content;
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
  if (problems.length)
    throw new InputErrors(
      problems.map(
        (p) => new InputError(`${file}: ${p}`, `see docs/content-sync.md for the ${CONFIG_FILE} schema`),
      ),
    );
  return tables ? { tables } : null;
}
