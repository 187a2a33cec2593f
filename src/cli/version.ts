import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** loopwatch's version, from its package.json. */
export const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
