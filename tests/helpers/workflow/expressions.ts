// GitHub Actions expressions (`${{ … }}` and `if:`), evaluated with GitHub's own
// @actions/expressions: the same parser, functions and comparison rules as the runner.

import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';

/** The contexts a workflow can read (plain JSON values; property access is case-insensitive). */
export type Contexts = Record<string, unknown>;

/** success(), failure(), always(), cancelled() for the job or step being decided. */
export interface StatusFunctions {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

const STATUS = ['success', 'failure', 'always', 'cancelled'] as const;

function evaluate(expression: string, contexts: Contexts, status?: StatusFunctions): data.ExpressionData {
  const lexed = new Lexer(expression).lex();
  const parsed = new Parser(
    lexed.tokens,
    Object.keys(contexts),
    STATUS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
  ).parse();
  const s = status ?? { success: true, failure: false, cancelled: false };
  const functions = new Map(
    STATUS.map((name) => [
      name,
      {
        name,
        minArgs: 0,
        maxArgs: 0,
        call: () => new data.BooleanData(name === 'always' ? true : s[name]),
      },
    ]),
  );
  const context = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
  return new Evaluator(parsed, context, functions).evaluate();
}

/** `${{ x }}` and nothing else around it (a `}}` inside would end it earlier). */
const LONE = /^\$\{\{((?:(?!\}\})[\s\S])*)\}\}$/;

/** Replaces every `${{ expression }}` in a string by its value as text (GitHub's coercion). */
export function interpolate(template: string, contexts: Contexts): string {
  return template.replace(/\$\{\{([\s\S]*?)\}\}/g, (_m, expression: string) =>
    evaluate(expression.trim(), contexts).coerceString(),
  );
}

/** A value given in YAML: strings are interpolated, a lone `${{ x }}` keeps x's type. */
export function evaluateValue(value: unknown, contexts: Contexts): unknown {
  if (typeof value !== 'string') return value;
  const lone = value.trim().match(LONE);
  if (lone) return toPlain(evaluate(lone[1]!.trim(), contexts));
  return interpolate(value, contexts);
}

/**
 * An `if:` condition. Without a status function GitHub reads it as `success() && (…)`;
 * the `${{ }}` around it is optional.
 */
export function condition(
  raw: string | boolean | undefined,
  contexts: Contexts,
  status: StatusFunctions,
): boolean {
  if (raw === undefined) return status.success;
  if (typeof raw === 'boolean') return raw && status.success;
  let text = raw.trim();
  const lone = text.match(LONE);
  if (lone) text = lone[1]!.trim();
  const usesStatus = /\b(success|failure|always|cancelled)\s*\(/.test(text);
  const expression = usesStatus ? text : `success() && (${text})`;
  return truthy(evaluate(expression, contexts, status));
}

function toPlain(d: data.ExpressionData): unknown {
  switch (d.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.Boolean:
    case data.Kind.Number:
    case data.Kind.String:
      return (d as data.BooleanData | data.NumberData | data.StringData).value;
    case data.Kind.Array:
      return (d as data.Array).values().map(toPlain);
    default:
      return Object.fromEntries((d as data.Dictionary).pairs().map((p) => [p.key, toPlain(p.value)]));
  }
}
