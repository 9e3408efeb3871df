// GitHub's REST API for the tests of the jobs that call it (setup-github, pr-comment): its
// published OpenAPI description (@octokit/openapi) loaded once, and a real HTTP server on
// localhost that records every request, holds it to the description — the method and path must
// be one of its operations, the query its parameters, the body valid against the operation's
// schema (ajv) — refuses on cue, and leaves the routes to each test's own fake. The answers a
// fake names are validated against their response schemas, so a job is tested on the shapes
// GitHub really sends. Last, what running such a job takes: its token, its --out directories
// and artifacts, and the check that the token went to GitHub and nowhere else.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import type { Job } from '../../scripts/lib/jobs/runner.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import { cleanEnv, runInProcess, type ScriptRun } from './run-script.ts';

// ---- GitHub's OpenAPI description, loaded once ----

interface Operation {
  parameters?: { $ref?: string; name?: string; in?: string; schema?: { type?: string } }[];
  requestBody?: { required?: boolean; content?: Record<string, unknown> };
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

let openapi:
  | {
      paths: Record<string, Record<string, Operation>>;
      components: { parameters: Record<string, unknown> };
    }
  | undefined;
let ajv: Ajv;
let templates: { template: string; pattern: RegExp; names: string[]; literal: number }[];
const validators = new Map<string, ValidateFunction>();

const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** Reads and compiles the description (a few hundred milliseconds); later calls do nothing. */
export function loadOpenApi(): void {
  if (openapi) return;
  const file = path.join(repoRoot, 'node_modules/@octokit/openapi/generated/api.github.com.json');
  openapi = JSON.parse(readFileSync(file, 'utf8'));
  // OpenAPI 3.0 schemas: unknown keywords (example, x-github) ignored; ajv reads `nullable`.
  ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(openapi!, 'github');
  templates = Object.keys(openapi!.paths).map((template) => {
    const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const source = template
      .split(/\{\w+\}/)
      .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
      .join('([^/]+)');
    return {
      template,
      pattern: new RegExp(`^${source}$`),
      names,
      literal: template.replace(/\{\w+\}/g, '').length,
    };
  });
}

function description() {
  loadOpenApi();
  return openapi!;
}

/** A schema of the description by JSON pointer, compiled once. */
function validator(ref: string): ValidateFunction {
  let v = validators.get(ref);
  if (!v) {
    v = ajv.compile({ $ref: `github#${ref}` });
    validators.set(ref, v);
  }
  return v;
}

function resolveParameter(p: NonNullable<Operation['parameters']>[number]) {
  if (!p.$ref) return p;
  const name = p.$ref.replace('#/components/parameters/', '');
  return description().components.parameters[name] as {
    name: string;
    in: string;
    schema?: { type?: string };
  };
}

/** The operation a request is, by method and path template (the most literal template wins). */
function operationOf(method: string, pathname: string) {
  const paths = description().paths;
  const m = method.toLowerCase();
  const matches = templates
    .map((t) => ({ t, match: t.pattern.exec(pathname) }))
    .filter(({ t, match }) => match && paths[t.template]![m])
    .sort((a, b) => b.t.literal - a.t.literal);
  const best = matches[0];
  if (!best) return null;
  const values = Object.fromEntries(best.t.names.map((n, i) => [n, decodeURIComponent(best.match![i + 1]!)]));
  return { template: best.t.template, method: m, operation: paths[best.t.template]![m]!, values };
}

/** A request as the fake received it. */
export interface Recorded {
  method: string;
  /** The path and query, as sent. */
  url: string;
  authorization: string | undefined;
  body: unknown;
}

/** Every way a request departs from GitHub's description; none for a valid one. */
export function requestProblems(req: Recorded): string[] {
  const url = new URL(req.url, 'http://localhost');
  const op = operationOf(req.method, url.pathname);
  if (!op) return [`${req.method} ${url.pathname}: no such operation in GitHub's OpenAPI description`];
  const problems: string[] = [];
  const where = `${req.method} ${op.template}`;
  const parameters = (op.operation.parameters ?? []).map(resolveParameter);
  for (const [name, value] of Object.entries(op.values)) {
    const p = parameters.find((x) => x.in === 'path' && x.name === name);
    if (!p) problems.push(`${where}: path parameter ${name} is not declared`);
    else if (p.schema?.type === 'integer' && !/^\d+$/.test(value))
      problems.push(`${where}: ${name}=${value} is not an integer`);
  }
  for (const key of url.searchParams.keys()) {
    if (!parameters.some((p) => p.in === 'query' && p.name === key))
      problems.push(`${where}: unknown query parameter ${key}`);
  }
  const body = op.operation.requestBody;
  if (req.body === undefined) {
    if (body?.required) problems.push(`${where}: the body is required`);
  } else if (!body?.content?.['application/json']) {
    problems.push(`${where}: takes no JSON body, got ${JSON.stringify(req.body)}`);
  } else {
    const v = validator(
      `/paths/${pointer(op.template)}/${op.method}/requestBody/content/${pointer('application/json')}/schema`,
    );
    if (!v(req.body)) problems.push(`${where}: ${ajv.errorsText(v.errors)} in ${JSON.stringify(req.body)}`);
  }
  return problems;
}

/**
 * The fake's answer against the operation's response schema, when `checked` names the
 * operation (`GET /repos/{owner}/{repo}/environments`): the answers whose shape a job reads
 * beyond an id or a name, which the fake must then give in full.
 */
function responseProblems(
  checked: ReadonlySet<string>,
  method: string,
  pathname: string,
  status: number,
  body: unknown,
): string[] {
  const op = operationOf(method, pathname);
  const content = op?.operation.responses?.[String(status)]?.content?.['application/json'];
  if (!op || !content || !checked.has(`${method} ${op.template}`)) return [];
  const ref = `/paths/${pointer(op.template)}/${op.method}/responses/${status}/content/${pointer('application/json')}/schema`;
  const v = validator(ref);
  return v(body) ? [] : [`response to ${method} ${op.template}: ${ajv.errorsText(v.errors)}`];
}

// ---- a fake GitHub on localhost ----

export interface Refusal {
  /** Refuses the n-th write (1-based) or a request this matches. */
  when: (method: string, pathname: string, write: number) => boolean;
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/** Answers the request; always returns true (so a route can `return send(…)`). */
export type Send = (status: number, data?: unknown, headers?: Record<string, string>) => boolean;

/** One request, as a fake's routes see it. */
export interface FakeRequest {
  method: string;
  url: URL;
  /** The path's segments, decoded: `['repos', 'acme', 'shop', …]`. */
  parts: string[];
  body: unknown;
  send: Send;
  notFound: (message?: string) => boolean;
}

/**
 * The server half of a fake GitHub: records and validates every request, applies the refusal,
 * and hands the rest to `route`. A test's fake extends it with the state and routes it plays.
 */
export abstract class FakeGitHubServer {
  readonly requests: Recorded[] = [];
  readonly problems: string[] = [];
  refusal: Refusal | null = null;
  url = '';
  private writesSeen = 0;
  private server!: http.Server;

  /** `METHOD /template` of each answer validated against its response schema. */
  protected abstract readonly shapesChecked: ReadonlySet<string>;

  /** Answers a request that was not refused; `notFound()` for anything it does not play. */
  protected abstract route(req: FakeRequest): boolean;

  async start(): Promise<void> {
    loadOpenApi();
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => {
        raw += d;
      });
      req.on('end', () => this.answer(req, raw, res));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  get writeRequests(): Recorded[] {
    return this.requests.filter(isWrite);
  }

  /** The writes received, in order: `PUT /repos/acme/shop/environments/dev`. */
  get written(): string[] {
    return this.writeRequests.map(methodAndPath);
  }

  /** `text` with this server's URL as `http://127.0.0.1:<port>`: the same on every run, for a golden. */
  withoutPort(text: string): string {
    return text.replaceAll(this.url, 'http://127.0.0.1:<port>');
  }

  private answer(req: http.IncomingMessage, raw: string, res: http.ServerResponse): boolean {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = raw ? JSON.parse(raw) : undefined;
    this.requests.push({ method, url: req.url ?? '/', authorization: req.headers.authorization, body });
    this.problems.push(...requestProblems(this.requests.at(-1)!));
    const send: Send = (status, data, headers = {}) => {
      if (status >= 200 && status < 300)
        this.problems.push(...responseProblems(this.shapesChecked, method, url.pathname, status, data));
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(data === undefined ? undefined : JSON.stringify(data));
      return true;
    };
    if (method !== 'GET') this.writesSeen++;
    if (this.refusal?.when(method, url.pathname, this.writesSeen)) {
      const { status, message, headers } = this.refusal;
      return send(status, { message, documentation_url: 'https://docs.github.com/rest' }, headers);
    }
    const notFound = (message = 'Not Found') =>
      send(404, { message, documentation_url: 'https://docs.github.com/rest' });
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    return this.route({ method, url, parts, body, send, notFound });
  }

  /** A user (or organization, or bot) as GitHub shows one in an answer (`simple-user`). */
  user(login: string, id: number, type: string) {
    const api = `${this.url}/users/${encodeURIComponent(login)}`;
    return {
      login,
      id,
      node_id: `U${id}`,
      avatar_url: `https://avatars.example/${id}`,
      gravatar_id: '',
      url: api,
      html_url: `https://github.com/${login}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type,
      site_admin: false,
    };
  }
}

/** Any request but a GET. */
export const isWrite = (r: Recorded) => r.method !== 'GET';

/** `PUT /repos/acme/shop/environments/dev`. */
export const methodAndPath = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

/** Starts `github` before the tests of the enclosing `describe` and stops it after them. */
export function startForSuite<F extends FakeGitHubServer>(github: F): F {
  beforeAll(() => github.start());
  afterAll(() => github.stop());
  return github;
}

/** Runs `body` against `github`, started for it and stopped after it, whatever happens. */
export async function withFake<F extends FakeGitHubServer>(
  github: F,
  body: (github: F) => Promise<void>,
): Promise<void> {
  await github.start();
  try {
    await body(github);
  } finally {
    await github.stop();
  }
}

// ---- running a job that calls GitHub ----

/** A classic token's shape, new on every test run: it must reach the fake and nothing else. */
export const TOKEN = `ghp_${randomBytes(18).toString('hex')}`;

/** The environment a job sees, holding the token as GITHUB_TOKEN. */
export const tokenEnv = (extra: Record<string, string> = {}) => cleanEnv({ GITHUB_TOKEN: TOKEN, ...extra });

/** What a run left in its --out directory. */
export interface Artifacts<R> {
  record: JobRecord<R>;
  /** `<job>.json`, as written. */
  json: string;
  /** `summary.md`; '' when the run wrote none. */
  summary: string;
}

/** Fresh --out directories for runs of `job`, and what a run left in one. */
export function jobArtifacts<R>(job: string) {
  return {
    outDir: (): string => mkdtempSync(path.join(os.tmpdir(), `envsync-${job}-`)),
    artifacts(out: string): Artifacts<R> {
      const json = readFileSync(path.join(out, `${job}.json`), 'utf8');
      const summary = existsSync(path.join(out, 'summary.md'))
        ? readFileSync(path.join(out, 'summary.md'), 'utf8')
        : '';
      return { record: JSON.parse(json), json, summary };
    },
  };
}

/**
 * The token reached GitHub as the Authorization header of every request, and nowhere else:
 * not printed, not in an artifact, not even masked.
 */
export function expectTokenKept(github: FakeGitHubServer, run: ScriptRun, a: Artifacts<unknown>): void {
  expect(github.requests.length).toBeGreaterThan(0);
  for (const r of github.requests) expect(r.authorization).toBe(`token ${TOKEN}`);
  for (const text of [run.stdout, run.stderr, a.json, a.summary]) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(TOKEN.slice(4));
    expect(text).not.toContain('***');
  }
}

/** A run, with what GitHub received during it. */
export interface RunAgainstFake extends ScriptRun {
  /** The requests the fake received during the run, in order. */
  requests: Recorded[];
}

/** Runs `job` in this process (`runInProcess`), keeping apart the requests `github` received meanwhile. */
export async function runAgainst<O, R>(
  github: FakeGitHubServer,
  job: Job<O, R>,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<RunAgainstFake> {
  const before = github.requests.length;
  const run = await runInProcess(job, args, env);
  return { ...run, requests: github.requests.slice(before) };
}

/** A run that stopped with exit 2 and exactly two lines on stderr: its error and its hint. */
export function errorAndHint(run: ScriptRun): { error: string; hint: string } {
  expect(run.code).toBe(2);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  return { error: lines[0]!, hint: lines[1]! };
}
