// Reads a GitHub Actions workflow for what its jobs need from the process environment: every
// `${{ secrets.X }}` and `${{ vars.X }}` a job references, and the variable names its steps see
// them under. The workflow's own expressions (`inputs.source == 'dev' && secrets.X || ''`) are
// evaluated with GitHub's expression library, so a conditional mapping counts only when it maps.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import { parseDocument } from 'yaml';
import { InputError } from '../base/errors.ts';
import type { DirectUse, UnmappedName } from '../results/validate-env.ts';
import { repoRoot } from './env-file.ts';

export type InputValue = string | number | boolean | null;

/** A variable a job's steps read, and what the workflow maps into it. */
export interface NeededName {
  name: string;
  /** `secrets.X`, `vars.Y`: upper case, as GitHub stores the names. */
  from: string[];
  jobs: string[];
  /** The environments those jobs run in (null: none, repository secrets only). */
  environments: (string | null)[];
  /** Mapped only in a step's `env:`: that step, by name. */
  stepOnly?: string;
  /** Why it may be unset, when every mapping allows it. */
  optional?: string;
}

export interface WorkflowNeeds {
  /** The file, from the repository root when it is inside it. */
  workflow: string;
  jobs: { id: string; environment: string | null }[];
  inputs: Record<string, InputValue>;
  names: NeededName[];
  direct: DirectUse[];
  unmapped: UnmappedName[];
  notes: string[];
}

export interface NeedsQuery {
  environment?: string;
  job?: string;
  /** The workflow's inputs (on Actions: `toJSON(inputs)`); the declared defaults fill the rest. */
  inputs?: Record<string, InputValue>;
}

type Dict = Record<string, unknown>;

const isObject = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

const WORKFLOWS = path.join(repoRoot, '.github', 'workflows');

/** GitHub's own token: not a secret anyone sets. */
const GITHUB_OWN = new Set(['secrets.GITHUB_TOKEN']);

/** Every job, what it needs; the query narrows the jobs to one environment or one job. */
export function readWorkflowNeeds(file: string, query: NeedsQuery = {}): WorkflowNeeds {
  const found = workflowFile(file);
  const shown = shownPath(found);
  const text = readFileSync(found, 'utf8');
  const workflow = parseWorkflow(text, shown);
  const inputs = workflowInputs(workflow, query.inputs, shown);
  const refs = referencedNames(text);
  const ctx = contexts(inputs, refs, {});
  const jobs = Object.entries(workflow.jobs as Dict).map(([id, job]) => {
    if (!isObject(job)) throw new InputError(`${shown}: jobs.${id} is not a job`, `fix ${shown}`);
    return { id, job, environment: environmentOf(job, ctx) };
  });
  const selected = selectJobs(jobs, query, shown, inputs);
  const needs = new NeedsCollector();
  const workflowEnv = isObject(workflow.env) ? workflow.env : {};
  for (const { id, job, environment } of selected) {
    collectJob(needs, { id, job, environment, workflowEnv, inputs, refs });
  }
  if (/\b(secrets|vars)\s*\[(?!\s*')/i.test(text)) {
    needs.notes.push(
      `${shown} reads a secret or variable by a computed name (secrets[…]): that one cannot be known without running it`,
    );
  }
  return {
    workflow: shown,
    jobs: selected.map(({ id, environment }) => ({ id, environment })),
    inputs,
    ...needs.done(),
  };
}

/** `--inputs '{"source":"dev"}'`: the JSON object `toJSON(inputs)` gives on Actions. */
export function parseInputsFlag(value: unknown): Record<string, InputValue> | undefined {
  if (value === undefined) return undefined;
  const hint = `give the workflow's inputs as a JSON object, e.g. --inputs '{"source":"dev"}' (on Actions: toJSON(inputs))`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch {
    throw new InputError('--inputs is not JSON', hint);
  }
  if (!isObject(parsed) || Object.values(parsed).some((v) => isObject(v) || Array.isArray(v))) {
    throw new InputError('--inputs is not a JSON object of strings, numbers and booleans', hint);
  }
  return parsed as Record<string, InputValue>;
}

// ── the file ────────────────────────────────────────────────────────────────────────────────

/** The path as given, or a bare name (`db-sync`) in .github/workflows. */
function workflowFile(given: string): string {
  const candidates = [path.resolve(given)];
  if (!given.includes('/') && !given.includes(path.sep)) {
    for (const ext of ['', '.yml', '.yaml']) candidates.push(path.join(WORKFLOWS, `${given}${ext}`));
  }
  const found = candidates.find((f) => existsSync(f) && statSync(f).isFile());
  if (found) return found;
  const known = existsSync(WORKFLOWS)
    ? readdirSync(WORKFLOWS)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => shownPath(path.join(WORKFLOWS, f)))
    : [];
  throw new InputError(
    `--workflow ${given}: no such file`,
    known.length
      ? `the workflows here: ${known.join(', ')}`
      : 'give the path of a GitHub Actions workflow file',
  );
}

function shownPath(file: string): string {
  const rel = path.relative(repoRoot, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function parseWorkflow(text: string, shown: string): Dict {
  const doc = parseDocument(text);
  const [first, ...more] = doc.errors;
  if (first) {
    // The first error is the one to fix: the rest often follow from it.
    const at = first.linePos?.[0];
    throw new InputError(
      `${shown}:${at ? `${at.line}:${at.col}` : '1'}: not YAML: ${first.message.split(' at line ')[0]!.split('\n')[0]}${
        more.length ? ` (and ${more.length} more error${more.length === 1 ? '' : 's'})` : ''
      }`,
      `fix the YAML in ${shown}`,
    );
  }
  const workflow = doc.toJS() as unknown;
  if (!isObject(workflow) || !isObject(workflow.jobs)) {
    throw new InputError(
      `${shown} is not a GitHub Actions workflow (it has no jobs:)`,
      'give a workflow file from .github/workflows',
    );
  }
  return workflow;
}

// ── inputs and expressions ──────────────────────────────────────────────────────────────────

/** The declared inputs' defaults (workflow_call's, then workflow_dispatch's), with the given ones over them. */
function workflowInputs(
  workflow: Dict,
  given: Record<string, InputValue> | undefined,
  shown: string,
): Record<string, InputValue> {
  const declared: Record<string, InputValue> = {};
  const on = isObject(workflow.on) ? workflow.on : {};
  for (const trigger of ['workflow_call', 'workflow_dispatch']) {
    const specs = isObject(on[trigger]) ? (on[trigger] as Dict).inputs : undefined;
    if (!isObject(specs)) continue;
    for (const [name, spec] of Object.entries(specs)) {
      if (name in declared) continue;
      const s = isObject(spec) ? spec : {};
      const fallback = s.type === 'boolean' ? false : s.type === 'number' ? 0 : '';
      const d = s.default;
      declared[name] =
        typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean' ? d : fallback;
    }
  }
  const unknown = Object.keys(given ?? {}).filter((k) => !(k in declared));
  if (unknown.length) {
    const names = Object.keys(declared);
    throw new InputError(
      `--inputs: ${shown} takes no input ${unknown.join(', ')}`,
      names.length ? `its inputs: ${names.join(', ')}` : `${shown} declares no inputs: leave --inputs out`,
    );
  }
  return { ...declared, ...given };
}

/** Every secret and variable named anywhere in the file: each gets a marker value in the contexts. */
function referencedNames(text: string): { secrets: string[]; vars: string[] } {
  const found = { secrets: new Set<string>(), vars: new Set<string>() };
  for (const ref of refsInExpression(text)) {
    const [kind, name] = ref.split('.') as ['secrets' | 'vars', string];
    found[kind].add(name);
  }
  return { secrets: [...found.secrets], vars: [...found.vars] };
}

const REF = /\b(secrets|vars)\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([^']+)'\s*\])/gi;
const EXPRESSION = /\$\{\{([\s\S]*?)\}\}/g;

/** `secrets.X` / `vars.Y` named in the `${{ }}` of a text; GitHub's own token left out. */
function refsIn(text: string): string[] {
  return [...new Set([...text.matchAll(EXPRESSION)].flatMap((m) => refsInExpression(m[1]!)))];
}

/** `secrets.X` / `vars.Y` named in an expression (or any text read as one). */
function refsInExpression(expression: string): string[] {
  const refs = [...expression.matchAll(REF)].map(
    (m) => `${m[1]!.toLowerCase()}.${(m[2] ?? m[3]!).toUpperCase()}`,
  );
  return [...new Set(refs)].filter((r) => !GITHUB_OWN.has(r));
}

/** Stands for a secret's value while evaluating: finding it in a result means the result carries the secret. */
const marker = (ref: string) => `\u001f${ref}\u001f`;

function contexts(
  inputs: Record<string, InputValue>,
  refs: { secrets: string[]; vars: string[] },
  env: Record<string, string>,
  emptied: string[] = [],
): Dict {
  const values = (kind: 'secrets' | 'vars') =>
    Object.fromEntries(
      refs[kind].map((n) => [n, emptied.includes(`${kind}.${n}`) ? '' : marker(`${kind}.${n}`)]),
    );
  return {
    inputs,
    secrets: values('secrets'),
    vars: values('vars'),
    env,
    github: {},
    needs: {},
    matrix: {},
    strategy: {},
    runner: {},
    job: {},
    jobs: {},
    steps: {},
  };
}

/** One expression (without `${{ }}`) as GitHub would coerce its value to text. */
function evaluate(expression: string, ctx: Dict): string {
  const lexed = new Lexer(expression).lex();
  const parsed = new Parser(lexed.tokens, Object.keys(ctx), []).parse();
  const context = JSON.parse(JSON.stringify(ctx), data.reviver) as data.Dictionary;
  return new Evaluator(parsed, context).evaluate().coerceString();
}

function interpolate(template: string, ctx: Dict): string {
  return template.replace(EXPRESSION, (_m, expression: string) => evaluate(expression.trim(), ctx));
}

// ── jobs ────────────────────────────────────────────────────────────────────────────────────

/** `environment: staging`, `{ name: staging }` or an expression, evaluated; null when none. */
function environmentOf(job: Dict, ctx: Dict): string | null {
  const raw = isObject(job.environment) ? job.environment.name : job.environment;
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  try {
    const value = interpolate(raw, ctx).trim();
    // A variable's value is not known here: the expression is all there is to show.
    if (value.includes('\u001f')) return raw;
    return value || null;
  } catch {
    return raw;
  }
}

type JobEntry = { id: string; job: Dict; environment: string | null };

function selectJobs(
  jobs: JobEntry[],
  query: NeedsQuery,
  shown: string,
  inputs: Record<string, InputValue>,
): JobEntry[] {
  let selected = jobs;
  if (query.job !== undefined) {
    selected = jobs.filter((j) => j.id === query.job);
    if (!selected.length) {
      throw new InputError(
        `${shown} has no job ${query.job}`,
        `its jobs: ${jobs.map((j) => j.id).join(', ')}`,
      );
    }
  }
  if (query.environment !== undefined) {
    const wanted = query.environment.toLowerCase();
    const matching = selected.filter((j) => j.environment?.toLowerCase() === wanted);
    if (!matching.length) throw noSuchEnvironment(query, selected, jobs, shown, inputs);
    selected = matching;
  }
  return selected;
}

function noSuchEnvironment(
  query: NeedsQuery,
  selected: JobEntry[],
  jobs: JobEntry[],
  shown: string,
  inputs: Record<string, InputValue>,
): InputError {
  // An environment computed from the inputs: show how, with the inputs it read.
  const expressions = [
    ...new Set(
      (query.job !== undefined ? selected : jobs)
        .map((j) => (isObject(j.job.environment) ? j.job.environment.name : j.job.environment))
        .filter((raw): raw is string => typeof raw === 'string' && raw.includes('${{')),
    ),
  ];
  const read = [
    ...new Set(expressions.flatMap((e) => [...e.matchAll(/\binputs\.(\w+)/g)].map((m) => m[1]!))),
  ];
  const computed = expressions.length
    ? ` (environment: ${expressions.join(', ')}${
        read.length ? ` with ${read.map((k) => `inputs.${k} = '${inputs[k] ?? ''}'`).join(', ')}` : ''
      })`
    : '';
  const inputsHint = read.length
    ? `, or give the inputs that pick it, e.g. --inputs '{"${read[0]}":"${query.environment}"}'`
    : '';
  if (query.job !== undefined) {
    const env = selected[0]!.environment;
    return new InputError(
      `job ${query.job} of ${shown} runs in ${env === null ? 'no environment' : `environment ${env}`}${computed}, not ${query.environment}`,
      `leave --environment out to check the job as it is${inputsHint}`,
    );
  }
  const used = [...new Set(jobs.map((j) => j.environment).filter((e): e is string => e !== null))];
  return new InputError(
    `${shown} has no job in environment ${query.environment}: ${
      used.length ? `its jobs run in ${used.join(', ')}` : 'none of its jobs runs in an environment'
    }${computed}`,
    used.length
      ? `give --environment ${used.join(' or ')}${inputsHint}`
      : `give --job (${jobs.map((j) => j.id).join(', ')}) or leave --environment out`,
  );
}

interface JobInput {
  id: string;
  job: Dict;
  environment: string | null;
  workflowEnv: Dict;
  inputs: Record<string, InputValue>;
  refs: { secrets: string[]; vars: string[] };
}

interface Mapping {
  name: string;
  value: unknown;
  /** Set for a step's env: the step's name. */
  step?: string;
}

function stepName(step: Dict, index: number): string {
  const name = step.name ?? step.id ?? step.uses;
  return typeof name === 'string' ? name : `#${index + 1}`;
}

/** One job's mappings (workflow, job and step env), the names it checks itself, and its direct uses. */
function collectJob(needs: NeedsCollector, j: JobInput): void {
  const steps = Array.isArray(j.job.steps) ? (j.job.steps as unknown[]).filter(isObject) : [];
  const guarded = namesCheckedForEmpty([j.job.if, ...steps.map((s) => s.if)]);
  const evaluatedEnv: Record<string, string> = {};
  const carried = new Set<string>();
  const level = (env: unknown, step?: string): Mapping[] =>
    isObject(env)
      ? Object.entries(env).map(([name, value]) => ({ name, value, ...(step ? { step } : {}) }))
      : [];
  const groups: Mapping[][] = [
    level(j.workflowEnv),
    level(j.job.env),
    ...steps.map((s, i) => level(s.env, stepName(s, i))),
  ];
  for (const [g, mappings] of groups.entries()) {
    const ctx = contexts(j.inputs, j.refs, { ...evaluatedEnv });
    for (const m of mappings) {
      const outcome = mappingOutcome(m, ctx, j);
      if (g < 2 && typeof outcome.value === 'string') evaluatedEnv[m.name] = outcome.value;
      for (const r of outcome.carried) carried.add(r);
      if (outcome.note) needs.notes.push(outcome.note);
      if (!outcome.refs.length) continue;
      if (!outcome.carried.length) {
        needs.unmapped(m.name, outcome.refs, j.id);
        continue;
      }
      const optional = outcome.fallback
        ? 'the workflow falls back to another value when it is unset'
        : guarded.has(m.name.toUpperCase())
          ? `job ${j.id} checks it itself (if: env.${m.name} == '')`
          : undefined;
      needs.mapped(m, outcome.carried, j, optional);
    }
  }
  collectDirectUses(needs, j, carried);
  if (typeof j.job.uses === 'string') {
    needs.notes.push(
      `job ${j.id} calls ${j.job.uses}${j.job.secrets === 'inherit' ? ' (secrets: inherit)' : ''}: check that workflow's jobs with --workflow ${j.job.uses.replace(/^\.\//, '').replace(/@.*$/, '')}`,
    );
  }
}

/** `if: env.X == ''` (or `!=`) on a job or step: the workflow handles X being unset itself. */
function namesCheckedForEmpty(conditions: unknown[]): Set<string> {
  const names = new Set<string>();
  for (const c of conditions) {
    if (typeof c !== 'string') continue;
    for (const m of c.matchAll(/\benv\.([A-Za-z_]\w*)\s*[!=]=\s*''|''\s*[!=]=\s*env\.([A-Za-z_]\w*)/g)) {
      names.add((m[1] ?? m[2]!).toUpperCase());
    }
  }
  return names;
}

interface MappingOutcome {
  /** The secrets and variables the value names. */
  refs: string[];
  /** Those it carries with these inputs. */
  carried: string[];
  /** With every carried one empty, the value is still not empty. */
  fallback: boolean;
  /** The value with markers for secrets: what later env levels see as `env.X`. */
  value?: string;
  note?: string;
}

/**
 * Evaluates one `NAME: value` twice per `${{ }}`: with a marker for each secret (is the secret
 * carried with these inputs?) and with the carried ones empty (is there a fallback?).
 */
function mappingOutcome(m: Mapping, ctx: Dict, j: JobInput): MappingOutcome {
  if (typeof m.value !== 'string') return { refs: [], carried: [], fallback: false };
  const text = m.value;
  const refs = refsIn(text);
  const carried = new Set<string>();
  let fallback = true;
  let note: string | undefined;
  for (const [, body] of text.matchAll(EXPRESSION)) {
    const own = refsInExpression(body!);
    if (!own.length) continue;
    try {
      const full = evaluate(body!.trim(), ctx);
      const here = own.filter((r) => full.includes(marker(r)));
      if (!here.length) continue;
      for (const r of here) carried.add(r);
      const empty = contexts(j.inputs, j.refs, ctx.env as Record<string, string>, here);
      if (evaluate(body!.trim(), empty) === '') fallback = false;
    } catch (error) {
      // Not evaluable here (a function or context of the runner's): taken as needed.
      for (const r of own) carried.add(r);
      fallback = false;
      note = `job ${j.id}: env ${m.name} = ${text.trim()} could not be evaluated (${(error as Error).message}); taken as needed`;
    }
  }
  let value: string | undefined;
  try {
    value = interpolate(text, ctx);
  } catch {
    value = undefined;
  }
  return {
    refs,
    carried: [...carried],
    fallback: carried.size > 0 && fallback,
    ...(value !== undefined ? { value } : {}),
    ...(note ? { note } : {}),
  };
}

/** Secrets and variables used in `with:`, `run:` or anywhere else but an env mapping of the job. */
function collectDirectUses(needs: NeedsCollector, j: JobInput, carried: Set<string>): void {
  const walk = (value: unknown, at: (string | number)[]): void => {
    if (typeof value === 'string') {
      for (const ref of refsIn(value)) if (!carried.has(ref)) needs.direct(ref, j.id, place(j, at));
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, [...at, i]);
    } else if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
    }
  };
  for (const [key, value] of Object.entries(j.job)) {
    if (key === 'env') continue;
    if (key === 'steps' && Array.isArray(value)) {
      value.forEach((step, i) => {
        if (!isObject(step)) return;
        for (const [k, v] of Object.entries(step)) if (k !== 'env') walk(v, ['steps', i, k]);
      });
      continue;
    }
    walk(value, [key]);
  }
}

function place(j: JobInput, at: (string | number)[]): string {
  if (at[0] === 'steps' && typeof at[1] === 'number') {
    const step = (j.job.steps as Dict[])[at[1]]!;
    return `${at.slice(2).join('.')} of step "${stepName(step, at[1])}"`;
  }
  return `jobs.${j.id}.${at.join('.')}`;
}

/** Merges every job's mappings into one entry per variable name. */
class NeedsCollector {
  readonly notes: string[] = [];
  private readonly names = new Map<
    string,
    { entry: NeededName; required: boolean; steps: string[]; outsideSteps: boolean; reasons: string[] }
  >();
  private readonly unmappedNames = new Map<string, UnmappedName>();
  private readonly directUses: DirectUse[] = [];

  mapped(m: Mapping, carried: string[], j: JobInput, optional: string | undefined): void {
    let n = this.names.get(m.name);
    if (!n) {
      n = {
        entry: { name: m.name, from: [], jobs: [], environments: [] },
        required: false,
        steps: [],
        outsideSteps: false,
        reasons: [],
      };
      this.names.set(m.name, n);
    }
    const add = <T>(list: T[], v: T) => {
      if (!list.includes(v)) list.push(v);
    };
    for (const r of carried) add(n.entry.from, r);
    add(n.entry.jobs, j.id);
    add(n.entry.environments, j.environment);
    if (m.step) add(n.steps, m.step);
    else n.outsideSteps = true;
    if (optional) add(n.reasons, optional);
    else n.required = true;
  }

  unmapped(name: string, refs: string[], job: string): void {
    const u = this.unmappedNames.get(name) ?? { name, from: [], jobs: [] };
    for (const r of refs) if (!u.from.includes(r)) u.from.push(r);
    if (!u.jobs.includes(job)) u.jobs.push(job);
    this.unmappedNames.set(name, u);
  }

  direct(ref: string, job: string, where: string): void {
    if (!this.directUses.some((d) => d.ref === ref && d.job === job && d.where === where)) {
      this.directUses.push({ ref, job, where });
    }
  }

  done(): Pick<WorkflowNeeds, 'names' | 'direct' | 'unmapped' | 'notes'> {
    const names = [...this.names.values()].map(({ entry, required, steps, outsideSteps, reasons }) => ({
      ...entry,
      ...(!outsideSteps && steps.length ? { stepOnly: steps[0]! } : {}),
      ...(!required && reasons.length ? { optional: reasons.join('; ') } : {}),
    }));
    return {
      names,
      direct: this.directUses,
      unmapped: [...this.unmappedNames.values()].filter((u) => !this.names.has(u.name)),
      notes: [...new Set(this.notes)],
    };
  }
}
