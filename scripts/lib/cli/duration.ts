// The one grammar for durations on the command line: `500ms`, `30s`, `2m` (or `2min`),
// `6h`, or a bare number of seconds.

import { InputError } from '../base/errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Milliseconds; `fallbackMs` when the flag is absent; bad input (exit 2) when malformed or above `maxMs`. */
export function parseDuration(flag: string, value: unknown, fallbackMs: number, maxMs = Infinity): number {
  if (value === undefined) return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|min|m|h)?$/.exec(String(value).trim());
  if (!m) {
    throw new InputError(
      `${flag} ${String(value)} is not a duration`,
      `use e.g. ${flag} 30s, ${flag} 2m or ${flag} 500ms`,
    );
  }
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's']!;
  if (ms > maxMs) {
    throw new InputError(
      `${flag} ${String(value)} is longer than ${formatLimit(maxMs)}`,
      `use at most ${formatLimit(maxMs)}`,
    );
  }
  return ms;
}

const formatLimit = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms / 60_000}m`);
