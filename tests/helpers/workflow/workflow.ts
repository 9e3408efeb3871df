// A GitHub Actions workflow file as data: the parts envsync's checks and the local
// replay read (jobs, needs, steps, inputs), with the jobs in the order `needs` allows.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  'working-directory'?: string;
  'continue-on-error'?: boolean;
  if?: string | boolean;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

export interface WorkflowJob {
  name?: string;
  needs?: string | string[];
  if?: string | boolean;
  'runs-on'?: string;
  'timeout-minutes'?: number;
  environment?: string | { name: string; url?: string };
  env?: Record<string, unknown>;
  outputs?: Record<string, string>;
  steps?: Step[];
  /** A job that calls a reusable workflow. */
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: unknown;
}

export interface InputSpec {
  description?: string;
  type?: 'string' | 'boolean' | 'number' | 'choice' | 'environment';
  required?: boolean;
  default?: unknown;
  options?: string[];
}

export interface Workflow {
  file: string;
  name: string;
  on: Record<string, { inputs?: Record<string, InputSpec>; branches?: string[] } | null>;
  env?: Record<string, unknown>;
  jobs: Record<string, WorkflowJob>;
}

export function loadWorkflow(file: string): Workflow {
  const doc = parse(readFileSync(file, 'utf8')) as Omit<Workflow, 'file'>;
  const on =
    typeof doc.on === 'string'
      ? { [doc.on]: null }
      : Array.isArray(doc.on)
        ? Object.fromEntries((doc.on as string[]).map((e) => [e, null]))
        : doc.on;
  return { ...doc, on, file: path.resolve(file), name: doc.name ?? path.basename(file) };
}

export function needsOf(job: WorkflowJob): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

/** Job ids in an order where every job comes after the jobs it needs (file order otherwise). */
export function jobOrder(wf: Workflow): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, from?: string) => {
    const job = wf.jobs[id];
    if (!job) throw new Error(`${path.basename(wf.file)}: job ${from} needs unknown job ${id}`);
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`${path.basename(wf.file)}: needs cycle through ${id}`);
    state.set(id, 'visiting');
    for (const n of needsOf(job)) visit(n, id);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of Object.keys(wf.jobs)) visit(id);
  return order;
}

/** Every job id `id` depends on, directly or through other jobs. */
export function ancestorsOf(wf: Workflow, id: string): Set<string> {
  const seen = new Set<string>();
  const walk = (j: string) => {
    for (const n of needsOf(wf.jobs[j]!)) {
      if (!seen.has(n)) {
        seen.add(n);
        walk(n);
      }
    }
  };
  walk(id);
  return seen;
}

/** How a step is named in logs and reports. */
export function stepLabel(step: Step): string {
  return step.name ?? (step.uses ? `uses ${step.uses}` : `run ${(step.run ?? '').split('\n')[0]}`);
}

/** `actions/upload-artifact@v4` → `actions/upload-artifact`. */
export function actionName(uses: string): string {
  return uses.replace(/@[^@/]+$/, '');
}
