import path from 'node:path';

/** The repository's root directory. */
export const repoRoot = path.resolve(__dirname, '../../../..');
