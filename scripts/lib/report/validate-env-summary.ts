// The environment check for people: what fails first (by name, with where the value should come
// from), then what is set; what the workflow uses without mapping it, and what it maps only with
// other inputs. Never a value: the result holds none.

import type { NameCheck, NameKind, NameStatus, ValidateEnvResult } from '../results/validate-env.ts';
import { code, counted, prose, table } from './markdown.ts';

const STATUS: Record<NameStatus, string> = {
  missing: '❌ missing',
  malformed: '❌ malformed',
  unreachable: '❌ unreachable',
  present: '✅ set',
  unset: '➖ unset (optional)',
};

const KIND: Record<NameKind, string> = {
  'database-url': 'database URL',
  'backup-key': 'backup key',
  'https-url': 'https URL',
  'supabase-key': 'Supabase key',
  other: 'any value',
};

const FAILING: NameStatus[] = ['missing', 'malformed', 'unreachable'];
const ORDER: NameStatus[] = [...FAILING, 'present', 'unset'];

export function renderValidateEnvSummary(r: ValidateEnvResult): string {
  const failing = r.checks.filter((c) => FAILING.includes(c.status));
  const lines = [`## envsync validate-env — ${code(r.workflow)}, ${scope(r)}`, '', lead(r, failing), ''];
  lines.push(`${jobsLine(r)}${inputsLine(r)}`, '');
  if (r.checks.length) {
    const sorted = [...r.checks].sort((a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status));
    lines.push(
      table(
        ['Name', 'Result', 'Checked as', 'Detail', 'From', 'Jobs'],
        sorted.map((c) => [
          code(c.name),
          STATUS[c.status],
          KIND[c.kind],
          prose(c.detail) + (c.latencyMs !== undefined ? ` (${c.latencyMs} ms)` : ''),
          c.from.map(code).join(', '),
          jobsOf(c, r),
        ]),
      ),
      '',
    );
  }
  if (r.direct.length) {
    lines.push(
      '**Used directly** — in `with:`, `run:` or elsewhere without an env mapping, so this process cannot see them; map them through `env:` to have them checked:',
      '',
      ...r.direct.map((d) => `- ${code(d.ref)} in ${prose(d.where)} of job ${code(d.job)}`),
      '',
    );
  }
  if (r.unmapped.length) {
    lines.push(
      '**Not mapped with these inputs** (needed only with others):',
      '',
      ...r.unmapped.map(
        (u) => `- ${code(u.name)} from ${u.from.map(code).join(', ')} in ${u.jobs.map(code).join(', ')}`,
      ),
      '',
    );
  }
  if (r.notes.length) lines.push('**Notes:**', '', ...r.notes.map((n) => `- ${prose(n)}`), '');
  return lines.join('\n');
}

function scope(r: ValidateEnvResult): string {
  if (r.scope.job) {
    const env = r.jobs[0]?.environment;
    return `job ${code(r.scope.job)}${env ? ` (environment ${code(env)})` : ''}`;
  }
  if (r.scope.environment) return `environment ${code(r.scope.environment)}`;
  return 'every job';
}

function lead(r: ValidateEnvResult, failing: NameCheck[]): string {
  if (!r.checks.length) return 'Nothing to check: no secret or variable reaches these jobs through `env:`.';
  if (failing.length) {
    const named = FAILING.map((status) => {
      const these = failing.filter((c) => c.status === status);
      return these.length ? `${status} ${these.map((c) => code(c.name)).join(', ')}` : null;
    })
      .filter((part) => part !== null)
      .join('; ');
    return `**${failing.length} of ${counted(r.checks.length, 'name')} fail**: ${named}.`;
  }
  const reached = r.checks.filter((c) => c.latencyMs !== undefined).length;
  const unset = r.checks.filter((c) => c.status === 'unset').length;
  return `All ${counted(r.checks.length - unset, 'name')} set and well-formed${
    r.connect ? ` (${counted(reached, 'database')} reachable)` : ''
  }${unset ? `; ${unset} optional unset` : ''}.`;
}

function jobsLine(r: ValidateEnvResult): string {
  const byEnvironment = new Map<string, string[]>();
  for (const j of r.jobs) {
    const key = j.environment ?? '';
    byEnvironment.set(key, [...(byEnvironment.get(key) ?? []), j.id]);
  }
  const parts = [...byEnvironment].map(
    ([env, ids]) => `${ids.map(code).join(', ')} ${env ? `in ${code(env)}` : '(no environment)'}`,
  );
  return `Jobs checked: ${parts.join('; ')}.`;
}

function inputsLine(r: ValidateEnvResult): string {
  const entries = Object.entries(r.inputs);
  return entries.length ? ` Inputs: ${entries.map(([k, v]) => code(`${k}=${v ?? ''}`)).join(', ')}.` : '';
}

/** `every job` when all the checked jobs need it, else their ids. */
function jobsOf(c: NameCheck, r: ValidateEnvResult): string {
  return c.jobs.length > 1 && c.jobs.length === r.jobs.length ? 'every job' : c.jobs.map(code).join(', ');
}
