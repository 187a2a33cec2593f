import type { Frame } from './frames';
import type { ExactInterval } from './samples-to-stall';
import { ownWork, type Attribution } from './stack-to-call-site';

/**
 * What a late sample's wait was spent on.
 *
 * A sample is asked for with a V8 interrupt, which JavaScript serves within a sampling
 * interval, but native code (an addon's function, Node's C++, a JSON.parse) serves only
 * once it has returned: a sample served at least `lateAfterMs` after it was asked for
 * waited for code that took no interrupts. Its stack shows where JavaScript resumed,
 * which is the blocking call itself when the call's JavaScript is still on the stack
 * (pbkdf2Sync's, bcrypt's wrapper), and otherwise whatever ran next: the line after the
 * call, often in another function or file. Giving the wait to that line would name a
 * line that did not block, so:
 *
 * - a stack that shows more than the program's own JavaScript (a Node API, a package
 *   of known nature, a builtin, the module loader, a JSON call found just before the
 *   resume point) keeps the wait, as it always has;
 * - a wait that probed calls and GC pauses cover, but for less than `lateAfterMs` (what
 *   is left could be the JavaScript around them), is theirs: each interval takes its
 *   own time afterwards, and what is left of the wait goes to the probed call's caller's
 *   own work (as the rest of a sample that named the call does), not to the line where
 *   JavaScript resumed. A wait that GC pauses alone explain stays with the resumed
 *   stack, which is the JavaScript the collector interrupted;
 * - a sample that resumed in the same work as the sample before it (the same line and
 *   function) keeps the wait: that work ran on both sides of it (a call made from that
 *   very line, or a thread the machine did not run for a while), so the line is right;
 * - anything else is native code whose call is not known: no line is named for it.
 *   Its stack is where JavaScript resumed, the place to look just before.
 */

/** The operation of time spent in native code that no probe timed and no stack shows. */
export const UNKNOWN_NATIVE_CALL = 'native code, call not known';

/** What a late sample's wait goes to, instead of the resumed stack's attribution. */
export interface HeldUp {
  attribution: Attribution;
  stack: Frame[];
}

/**
 * `resumed` is the late sample's own attribution (after the JSON look-back) and
 * `resumedStack` its stack; `wait` is from when it was asked for to when it was served;
 * `keys` are the causeKeys of the sample before it in the stall (if any) and of this
 * one. Undefined: the resumed attribution keeps the wait.
 */
export function heldUpBy(
  wait: { from: number; to: number },
  resumed: Attribution,
  resumedStack: Frame[],
  keys: { previous: string | undefined; resumed: string },
  exact: ExactInterval[],
  lateAfterMs: number,
): HeldUp | undefined {
  if (resumed.category !== 'js') return undefined;
  const overlapping = exact.filter((e) => e.end > wait.from && e.start < wait.to);
  if (wait.to - wait.from - covered(wait, overlapping) < lateAfterMs) {
    const calls = overlapping.filter((e) => e.attribution !== null);
    if (calls.length === 0) return undefined;
    const overlap = (e: ExactInterval) => Math.min(e.end, wait.to) - Math.max(e.start, wait.from);
    const call = calls.reduce((a, b) => (overlap(b) > overlap(a) ? b : a));
    return { attribution: ownWork(call.attribution!.callSite), stack: call.stack };
  }
  if (keys.previous === keys.resumed) return undefined;
  return { attribution: { callSite: null, operation: UNKNOWN_NATIVE_CALL, category: 'native' }, stack: resumedStack };
}

/** How much of `wait` the intervals cover, counting overlaps once. */
function covered(wait: { from: number; to: number }, intervals: ExactInterval[]): number {
  const pieces = intervals.map((e) => [Math.max(e.start, wait.from), Math.min(e.end, wait.to)] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let reached = wait.from;
  for (const [from, to] of pieces) {
    const start = Math.max(from, reached);
    if (to > start) {
      total += to - start;
      reached = to;
    }
  }
  return total;
}
