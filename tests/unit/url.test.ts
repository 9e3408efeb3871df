import { InputError } from '../../scripts/lib/base/errors.ts';
import { environmentSecrets, redactUrl, resolveDatabase, urlSecrets } from '../../scripts/lib/db/url.ts';

describe('resolveDatabase', () => {
  const env = { DEV_DATABASE_URL: 'postgres://postgres:s3cr%40t@db.example.test:6543/postgres' };

  test('a name reads <NAME>_DATABASE_URL', () => {
    const t = resolveDatabase('--db', 'dev', env);
    expect(t).toMatchObject({
      name: 'dev',
      envVar: 'DEV_DATABASE_URL',
      display: 'postgres://postgres@db.example.test:6543/postgres',
    });
    expect(t.secrets).toEqual(expect.arrayContaining(['s3cr%40t', 's3cr@t']));
  });

  test('names are case-insensitive and dashes become underscores', () => {
    expect(resolveDatabase('--db', 'DEV', env).envVar).toBe('DEV_DATABASE_URL');
    expect(() => resolveDatabase('--db', 'preview-2', {})).toThrow('PREVIEW_2_DATABASE_URL is not set');
  });

  test('a missing variable is bad input that names the variable and the fix', () => {
    try {
      resolveDatabase('--target', 'staging', {});
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toBe('--target staging: STAGING_DATABASE_URL is not set');
      expect((e as InputError).hint).toMatch(/\.env\.template/);
      expect((e as InputError).exitCode).toBe(2);
    }
  });

  test('a malformed URL is refused without echoing it', () => {
    const bad = 'postgres://user:hunter2@/nohost';
    expect(() => resolveDatabase('--db', bad, {})).toThrow(InputError);
    try {
      resolveDatabase('--db', bad, {});
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
      expect((e as Error).message).toBe('the --db value is not a valid PostgreSQL URL');
    }
    expect(() => resolveDatabase('--db', 'mysql://u:p@h/db', {})).toThrow('not a valid PostgreSQL URL');
    expect(() => resolveDatabase('--db', 'dev', { DEV_DATABASE_URL: 'not a url' })).toThrow(
      'DEV_DATABASE_URL is not a valid PostgreSQL URL',
    );
  });
});

describe('redactUrl', () => {
  test('keeps user, host, port and database; drops the password and parameters', () => {
    expect(redactUrl('postgresql://app:pw@h:5433/my%20db?sslmode=require&password=x')).toBe(
      'postgres://app@h:5433/my db',
    );
    expect(redactUrl('postgres://h')).toBe('postgres://h:5432/postgres');
    expect(redactUrl('garbage')).toBe('postgres://<unparseable url>');
  });
});

describe('secrets', () => {
  test('a password in the query string is a secret too', () => {
    expect(urlSecrets('postgres://u@h/db?password=topsecret')).toContain('topsecret');
  });

  test('environmentSecrets picks URLs, keys, passwords and tokens', () => {
    const found = environmentSecrets({
      STAGING_DATABASE_URL: 'postgres://u:pw-staging@h/db',
      STAGING_SUPABASE_ANON_KEY: 'eyJhbGciOi.anon',
      BACKUP_ENCRYPTION_KEY: 'k'.repeat(32),
      HOME: '/root',
    });
    expect(found).toEqual(expect.arrayContaining(['pw-staging', 'eyJhbGciOi.anon', 'k'.repeat(32)]));
    expect(found).not.toContain('/root');
  });
});
