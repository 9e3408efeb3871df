// The repository's GitHub settings for the person running setup-github: what changes (or would,
// on a dry run), setting by setting, then every write request with its body.

import type { GitHubWrite, SettingChange, SetupGitHubResult } from '../results/setup-github.ts';
import { cell, code } from './markdown.ts';

export function renderSetupGitHubSummary(r: SetupGitHubResult): string {
  const lines = [`## envsync setup-github — ${code(r.repo)}`, '', `**${headline(r)}**`, ''];
  lines.push('| Setting | Change | Wanted |', '| --- | --- | --- |');
  for (const s of r.settings)
    lines.push(`| ${s.kind} ${code(s.name)} | ${changeCell(s)} | ${cell(s.wanted)} |`);
  lines.push('');
  if (r.notes.length) lines.push('Left as it is:', '', ...r.notes.map((n) => `- ${cell(n)}`), '');
  if (r.writes.length) {
    const title = r.dryRun
      ? `The ${r.writes.length} write request(s) it would send`
      : `The ${r.writes.length} write request(s)`;
    lines.push('<details>', `<summary>${title} (method, path, body)</summary>`, '');
    for (const [i, w] of r.writes.entries()) lines.push(...writeLines(r, w, i));
    lines.push('</details>', '');
  }
  lines.push(`Read with ${r.reads} GET request(s) from ${code(r.apiUrl)}.`, '');
  return lines.join('\n');
}

function headline(r: SetupGitHubResult): string {
  const changed = r.settings.filter((s) => s.action !== 'unchanged').length;
  if (!r.writes.length) return 'Already set up: nothing to change.';
  if (r.dryRun) {
    return `Dry run: ${r.writes.length} write(s) to ${changed} setting(s) planned; nothing was sent.`;
  }
  if (r.failed) {
    const w = r.writes[r.failed.index]!;
    return (
      `GitHub failed write ${r.failed.index + 1} of ${r.writes.length} (${w.method} ${w.path}): ${r.failed.message}. ` +
      `The ${r.sent} write(s) before it were applied; run it again: it only changes what still differs.`
    );
  }
  return `Set up: ${r.sent} write(s) to ${changed} setting(s).`;
}

function changeCell(s: SettingChange): string {
  if (s.action !== 'update') return s.action;
  return `update: ${cell(s.changes.join('; '))}`;
}

function writeLines(r: SetupGitHubResult, w: GitHubWrite, i: number): string[] {
  const state = r.dryRun ? '' : i < r.sent ? ' ✅' : r.failed?.index === i ? ' ❌' : ' (not sent)';
  const item = `${i + 1}. `;
  const lines = [`${item}${code(`${w.method} ${w.path}`)}${state} — ${cell(w.reason)}`];
  if (w.body === null) return lines;
  // Indented to the item's text, so the block stays inside the list item (10. needs four spaces).
  const indent = ' '.repeat(item.length);
  const json = JSON.stringify(w.body, null, 2).split('\n');
  return [...lines, '', `${indent}\`\`\`json`, ...json.map((l) => `${indent}${l}`), `${indent}\`\`\``, ''];
}
