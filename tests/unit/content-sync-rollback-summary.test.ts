// The content-sync rollback summary against its golden: what was restored, the checksums, the proof.
import { renderContentSyncSummary } from '../../scripts/lib/report/content-sync-summary.ts';
import { contentRolledBack } from '../fixtures/results/content-sync.ts';
import { expectGolden } from '../helpers/golden.ts';

test('content-sync rollback summary: restored counts, checksums equal the snapshot’s, sequences left', () => {
  const md = renderContentSyncSummary(contentRolledBack());
  expectGolden('content-sync-summary.rollback.md', md);
  expect(md).toContain(
    '2 deleted row(s) re-inserted, 9 changed row(s) restored, 24 row(s) the sync added removed',
  );
  expect(md).toContain('every content table’s row count and checksum equal the snapshot’s');
  expect(md).toContain('Sequences left where they are (never moved backwards): `public.courses_id_seq`');
});
