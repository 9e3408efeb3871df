// The migrations against the base branch's: which were added here, and the two ways a branch
// breaks a migration history — an added version that is not after the base's latest, and an
// applied file (one the base has) edited, renamed or deleted. Any byte counts, comments too: the
// history stores each applied file's statements as written, and `migrate` compares them.

import type { LintedFile, LintFinding } from '../results/lint-migrations.ts';
import { finding } from './lint-rules.ts';
import { type BaseSnapshot, compareText, findingPath, type LintSource } from './lint-sources.ts';

export interface BaseComparison {
  ref: string;
  commit: string;
  latestVersion: string | null;
  files: number;
  /** Each current file's standing at the base, by path. */
  atBase: Map<string, NonNullable<LintedFile['atBase']>>;
  findings: LintFinding[];
}

export function compareWithBase(dir: string, current: LintSource[], base: BaseSnapshot): BaseComparison {
  const latestVersion = base.files.reduce<string | null>(
    (max, f) => (max === null || compareText(f.version, max) > 0 ? f.version : max),
    null,
  );
  const here = new Map(current.map((f) => [f.name, f]));
  const atBase = new Map<string, NonNullable<LintedFile['atBase']>>();
  const findings: LintFinding[] = [];
  const start = { line: 1, column: 1 };

  for (const f of current) {
    const before = base.files.find((b) => b.name === f.name);
    if (!before) atBase.set(f.path, 'added');
    else if (before.blob === f.blob) atBase.set(f.path, 'unchanged');
    else {
      atBase.set(f.path, 'changed');
      findings.push(
        finding(
          'applied-file-changed',
          f.path,
          start,
          `${f.name} was edited since ${base.ref}, where it is applied`,
        ),
      );
    }
  }

  // A base file gone from here was renamed (its version or its contents live on under a new name) or deleted.
  for (const gone of base.files.filter((b) => !here.has(b.name))) {
    const successor = current.find(
      (f) => atBase.get(f.path) === 'added' && (f.version === gone.version || f.blob === gone.blob),
    );
    if (successor) {
      atBase.set(successor.path, 'changed');
      findings.push(
        finding(
          'applied-file-changed',
          successor.path,
          start,
          `${gone.name} (applied at ${base.ref}) was renamed to ${successor.name}`,
        ),
      );
    } else {
      findings.push(
        finding(
          'applied-file-changed',
          findingPath(dir, gone.name),
          start,
          `${gone.name} (applied at ${base.ref}) was deleted`,
        ),
      );
    }
  }

  if (latestVersion !== null) {
    for (const f of current) {
      if (atBase.get(f.path) !== 'added' || compareText(f.version, latestVersion) > 0) continue;
      findings.push(
        finding(
          'version-not-after-base',
          f.path,
          start,
          `${f.name} was added on this branch, but its version ${f.version} is not after ${latestVersion}, the latest at ${base.ref}`,
        ),
      );
    }
  }
  return { ref: base.ref, commit: base.commit, latestVersion, files: base.files.length, atBase, findings };
}
