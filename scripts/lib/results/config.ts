// envsync.yaml, as read: the one configuration file's shape (cli/config.ts reads and checks it).
// Types only, shared by the jobs and the operations that act on them.

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

/** How one column's values are replaced on their way to the target (docs/masking.md). */
export type MaskStrategy =
  | { kind: 'email' | 'phone' | 'name' | 'hash' | 'null' | 'fake' | 'keep' }
  | { kind: 'constant'; value: string }
  | { kind: 'sql'; expression: string };

export interface MaskingRule {
  /** `schema.table.column`, each part a name or `*`. */
  pattern: string;
  strategy: MaskStrategy;
}

export interface MaskingConfig {
  /** Tables holding personal data (`schema.table`): every column needs a rule, `keep` included. */
  personal: string[];
  rules: MaskingRule[];
}

/** What a copy of production must not do on its target: call out, run jobs, replicate. */
export interface SideEffectsConfig {
  /** Triggers that call out of the database (Database Webhooks, pg_net). */
  webhooks: 'disable' | 'rewrite' | 'keep';
  /** pg_cron jobs copied from the source. */
  cron: 'disable' | 'rewrite' | 'keep';
  /** Logical replication subscriptions on the target. */
  subscriptions: 'disable' | 'keep';
  /** For `rewrite`: the URL prefix replaced, and what replaces it. */
  rewrite: { from: string; to: string } | null;
}

export interface EnvsyncConfig {
  /** Where it was read from, or null when there is no file. */
  file: string | null;
  /** The content tables (`schema.table`): the allow-list content-sync may write; every other table is protected. */
  content: { tables: Record<string, ContentTableConfig> } | null;
  /** Masking rules (null: none configured). */
  masking: MaskingConfig | null;
  /** Side effects neutralized on a non-production copy (defaults: everything disabled). */
  sideEffects: SideEffectsConfig;
}
