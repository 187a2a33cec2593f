/**
 * The data the HTML report's script reads from its `<script type="application/json">`
 * block: what the page draws on demand (tooltips, the flame view, a call site's stack),
 * built from the report model by page-data.ts. Global declarations, because two
 * programs share them: the CLI (Node.js) that writes the data and the page script
 * (browser, tsconfig.page.json) that reads it.
 *
 * Times are milliseconds since the run's start, rounded to 0.01 ms.
 */

interface PageData {
  frames: PageFrame[];
  /**
   * Every sampled stack as a path in one tree, shared by all stalls (their outer frames
   * are mostly the same): a node is its parent node (-1: an outermost frame) and its frame.
   */
  stackNodes: Array<[parent: number, frame: number]>;
  lanes: PageLane[];
  stalls: PageStall[];
  /** The call-site table's rows, in the report's order (most time first). */
  sites: PageSite[];
  /** GC pauses: the lane, when, how long, the kind of collection. */
  gc: Array<[lane: number, at: number, ms: number, kind: string]>;
  /** The report's caps on profiles, to say what a flame view leaves out. */
  limits: { stacksPerStall: number; stacks: number };
}

interface PageFrame {
  /** The file as shown (relative to the directory loopwatch ran in), or `<builtin>`. */
  file: string;
  line: number | null;
  column: number | null;
  function: string | null;
  /** Whose code: the program's, a dependency's, Node's, or a builtin. */
  owner: 'program' | 'dependency' | 'node' | 'builtin';
}

/** One row of the timeline: a process now; a process's thread when the model has threads. */
interface PageLane {
  pid: number;
  /** Null for a process's main thread. */
  threadId: number | null;
  label: string;
}

interface PageStall {
  lane: number;
  at: number;
  ms: number;
  /** Present only when not the usual (a run-phase stall, over before its process ended): a big run has thousands. */
  startup?: true;
  /** Still going on when its process ended. */
  cut?: true;
  /** Event-loop stalls: their causes, longest first, by their row in `sites`; exact is 1 when a probe timed it. */
  causes?: Array<[site: number, ms: number, exact: 0 | 1, operation: string, category: string]>;
  /** Event-loop stalls' sampled stacks, heaviest first. */
  stacks?: PageStack[];
  /** Stacks the report's caps left out, and their time. */
  omitted?: [stacks: number, ms: number];
  /**
   * Event-loop stalls, on Linux: where the blocked thread's time went over the part of
   * the stall the watchdog observed, and whether the host took most of it.
   */
  time?: { observedMs: number; onCpuMs: number; runQueueMs: number; offCpuMs: number; host?: 'starved' | 'stopped' };
  /** Threadpool stalls: the queue starved, the longest wait, the work in flight. */
  pool?: { queue: string; maxWaitMs: number; causes: PagePoolCause[] };
}

interface PagePoolCause {
  operation: string;
  /** The call site as shown; empty for work loopwatch does not track (`untracked threadpool work`). */
  where: string;
  ms: number;
  calls: number;
  detail?: string;
}

/** The stack's innermost node in `stackNodes`, the time it covered, its samples, its cause's index in `causes` (-1: none). */
type PageStack = [node: number, ms: number, samples: number, cause: number];

interface PageSite {
  operation: string;
  category: string;
  /** The call site as shown, or a sentence when there is none. */
  where: string;
  /** Lines under the call site: what the calls were about ("loaded typescript"), the worker threads it blocked, the host's share of its time. */
  notes?: string[];
  /** What the line's time went to, when more than one thing ("split: crypto.pbkdf2Sync 454 ms, js 40.9 ms"). */
  split?: string;
  count: number;
  totalMs: number;
  maxMs: number;
  p95Ms: number;
  /** The stack of the call site's first stall, innermost first. */
  stack: number[];
  /** The stalls it is a cause of, in time order. */
  stalls: number[];
}
