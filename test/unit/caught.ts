import { expect } from 'vitest';
import { LoopwatchError } from '../../src/errors';

/** The LoopwatchError that `fn` throws; fails the test when it throws none, or another error. */
export function caught(fn: () => unknown): LoopwatchError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LoopwatchError);
    return err as LoopwatchError;
  }
  throw new Error('expected a LoopwatchError');
}
