// The advisory lock every replacing job takes on its target: two envsync runs never
// interleave on one database.

/** 'envsync' as a 64-bit key. */
export const ENVSYNC_LOCK_KEY = '28542640894207587';
