// A JSON artifact read back (a manifest, a snapshot, a plan): missing or unparsable is bad input.

import { readFileSync } from 'node:fs';
import { InputError } from './errors.ts';

/** The parsed contents of `file`; one line naming it when it is absent or not JSON, with `hint`. */
export function readJsonFile(file: string, hint: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT'
        ? `${file} does not exist`
        : code
          ? `${file} cannot be read (${code})`
          : `${file} is not valid JSON`,
      hint,
    );
  }
}
