// Every preflight check computes its answer: the two that were once always "pass" now fail
// when their condition does, and say what they compared.
import type { DatabaseIdentity } from '../../scripts/lib/results/plan.ts';
import { notTheSource, productionCheck } from '../../scripts/lib/sync/preflight.ts';

const identity = (over: Partial<DatabaseIdentity> = {}): DatabaseIdentity => ({
  systemIdentifier: '7300000000000000001',
  serverAddress: '10.0.0.5',
  serverPort: 5432,
  database: 'postgres',
  databaseOid: 5,
  ...over,
});

test('target is not the source: fails when both connections reach one database, however spelled', () => {
  // The same server seen once over TCP and once over a socket (no address): one database.
  const check = notTheSource(identity(), identity({ serverAddress: null }));
  expect(check.status).toBe('fail');
  expect(check.detail).toContain('database postgres (oid 5) on system 7300000000000000001');
  expect(check.hint).toBe('give two different databases');
});

test('target is not the source: passes for another database on the same server, naming both', () => {
  const check = notTheSource(identity(), identity({ database: 'staging', databaseOid: 16384 }));
  expect(check).toMatchObject({ status: 'pass' });
  expect(check.detail).toMatch(/^source database postgres .*; target database staging \(oid 16384\)/);
});

test('production guard: a production target fails without the flag and warns with it', () => {
  const reason = 'it is marked as production (envsync.environment, 2026-11-30 by postgres)';
  expect(productionCheck({ reason, allowed: false })).toMatchObject({
    status: 'fail',
    detail: `the target is production (${reason})`,
  });
  expect(productionCheck({ reason, allowed: true })).toMatchObject({
    status: 'warn',
    detail: `the target is production (${reason}), allowed by --allow-production`,
  });
  expect(productionCheck({ reason: null, allowed: false }).status).toBe('pass');
});
