// The new migration file, named for the person who will fill it.

import type { NewMigrationResult } from '../results/new-migration.ts';
import { code } from './markdown.ts';

export const renderNewMigrationSummary = (r: NewMigrationResult): string =>
  `## envsync new-migration\n\nCreated ${code(r.path)} (version ${code(r.version)}): write the change, then \`npm run lint-migrations\` and \`npm run migrate -- --db dev --dry-run\`.\n`;
