// The content-sync renderer against its goldens, and envsync.yaml's schema: every problem at once.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputErrors } from '../../scripts/lib/base/errors.ts';
import { loadConfig } from '../../scripts/lib/cli/config.ts';
import { renderContentSyncSummary } from '../../scripts/lib/report/content-sync-summary.ts';
import { contentCompared, contentSynced } from '../fixtures/results/content-sync.ts';
import { expectGolden } from '../helpers/golden.ts';

test('content-sync summary: a comparison a sync would refuse; a committed sync with its proof', () => {
  const compared = renderContentSyncSummary(contentCompared());
  expectGolden('content-sync-summary.compare.md', compared);
  expect(compared).toContain(
    '**A sync would be refused:** 31 row(s) of `public.enrollments` (ON DELETE cascade)',
  );
  const synced = renderContentSyncSummary(contentSynced());
  expectGolden('content-sync-summary.sync.md', synced);
  expect(synced).toContain('**Proof:** this transaction wrote nothing to any of the 14 protected tables');
  expect(synced).toContain('| `public.enrollments` | 12,040 | 12,043 |');
});

test('content-sync validate summary without a manifest: the protected tables counted, nothing claimed', () => {
  const r = {
    ...contentCompared(),
    mode: 'validate' as const,
    tables: contentCompared().tables.map((t) => ({
      ...t,
      new: 0,
      changed: 0,
      changedColumns: {},
      protectedReferences: [],
    })),
    inSync: true,
    protected: {
      manifest: null,
      tables: [
        { table: 'auth.users', rows: 5_000, before: null, unchanged: null },
        { table: 'public.enrollments', rows: 12_043, before: null, unchanged: null },
      ],
    },
  };
  const md = renderContentSyncSummary(r);
  expectGolden('content-sync-summary.validate.md', md);
  expect(md).toContain('**Protected tables:** 2, 17,043 rows (counts only');
});

const file = (text: string) => {
  const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'envsync-config-')), 'envsync.yaml');
  writeFileSync(f, text);
  return f;
};

test('envsync.yaml: defaults filled in', () => {
  expect(
    loadConfig(
      file(
        'content:\n  tables:\n    public.lessons: {}\n    public.courses: { key: [slug], delete: delete, triggers: fire, ignore_columns: [view_count] }\n',
      ),
    ),
  ).toMatchObject({
    content: {
      tables: {
        'public.lessons': { key: null, delete: 'keep', triggers: 'skip', ignoreColumns: [] },
        'public.courses': {
          key: ['slug'],
          delete: 'delete',
          triggers: 'fire',
          ignoreColumns: ['view_count'],
        },
      },
    },
  });
});

test('envsync.yaml: every problem reported at once', () => {
  let error: unknown;
  try {
    loadConfig(
      file('palette: {}\ncontent:\n  tables:\n    courses: { delete: always, key: id, colour: red }\n'),
    );
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InputErrors);
  expect((error as InputErrors).problems.map((p) => p.message.replace(/^\S+: /, ''))).toEqual([
    'unknown section palette',
    'content.tables.courses: name tables as schema.table',
    'content.tables.courses: unknown setting colour',
    'content.tables.courses.key: a list of column names',
    'content.tables.courses.delete: keep or delete, not always',
  ]);
});

test('envsync.yaml: a YAML syntax error names its line; an absent default file is no config; an absent --config is bad input', () => {
  expect(() => loadConfig(file('content:\n  tables: [\n'))).toThrow(/envsync\.yaml:\d+: /);
  expect(() => loadConfig('/nonexistent/envsync.yaml')).toThrow(
    '--config /nonexistent/envsync.yaml does not exist',
  );
});
