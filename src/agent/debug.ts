import { debuglog } from 'node:util';

/** `NODE_DEBUG=loopwatch` shows what the agent could not do; otherwise it stays silent. */
export const debug = debuglog('loopwatch');
