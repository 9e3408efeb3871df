// The replay's reading of `${{ }}` and `if:`, as GitHub reads them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { condition, evaluateValue, interpolate } from '../helpers/workflow/expressions.ts';
import { readKeyValues } from '../helpers/workflow/replay.ts';

const ctx = {
  inputs: { source: 'dev', dry_run: false },
  secrets: { DEV_DATABASE_URL: 'postgres://u:p@h/db' },
  needs: { sync: { result: 'success' }, validate: { result: 'failure' } },
};
const ok = { success: true, failure: false, cancelled: false };
const failed = { success: false, failure: true, cancelled: false };

test('interpolation: several expressions, GitHub coercion, case-insensitive names', () => {
  expect(interpolate('${{ inputs.source }}-${{ inputs.dry_run }}/${{ inputs.missing }}.', ctx)).toBe(
    'dev-false/.',
  );
  expect(interpolate("${{ secrets[format('{0}_DATABASE_URL', inputs.source)] }}", ctx)).toBe(
    'postgres://u:p@h/db',
  );
  expect(evaluateValue('${{ inputs.dry_run }}', ctx)).toBe(false);
  expect(evaluateValue('${{ inputs.source }} ${{ inputs.source }}', ctx)).toBe('dev dev');
});

test('if: without a status function means success() && (…)', () => {
  expect(condition(undefined, ctx, ok)).toBe(true);
  expect(condition(undefined, ctx, failed)).toBe(false);
  expect(condition('${{ !inputs.dry_run }}', ctx, ok)).toBe(true);
  expect(condition('${{ !inputs.dry_run }}', ctx, failed)).toBe(false);
  expect(condition('always()', ctx, failed)).toBe(true);
  expect(condition('failure()', ctx, failed)).toBe(true);
  expect(condition('failure()', ctx, ok)).toBe(false);
  const rollback =
    "${{ !cancelled() && needs.sync.result == 'success' && needs.validate.result == 'failure' }}";
  expect(condition(rollback, ctx, failed)).toBe(true);
  expect(condition(rollback, { ...ctx, needs: { ...ctx.needs, validate: { result: 'success' } } }, ok)).toBe(
    false,
  );
});

test('GITHUB_OUTPUT / GITHUB_ENV: plain lines and heredoc blocks', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'envsync-kv-')), 'out');
  writeFileSync(file, 'a=1\nb<<ghadelimiter_x\nline one\nline=two\nghadelimiter_x\nc=x=y\n');
  expect(readKeyValues(file)).toEqual({ a: '1', b: 'line one\nline=two', c: 'x=y' });
});
