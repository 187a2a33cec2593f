/**
 * The gate's dependencies, loaded on first use: a run without a budget (and the agent,
 * always) pays nothing for them. ajv takes about 20 ms to load.
 */
import type AjvType from 'ajv';
import type picomatchType from 'picomatch';

export function loadAjv(): typeof AjvType {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('ajv') as typeof import('ajv')).default;
}

export function loadPicomatch(): typeof picomatchType {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('picomatch') as typeof picomatchType;
}
