/**
 * What the gate says of a run: every rule it checked, whether it held, and for a broken
 * one the call sites that broke it, each with the `allow` entry that would silence it.
 * Part of the JSON report (`verdict`) when a budget was given.
 */
import type { AllowEntry } from './config';

/** A stack frame as the report has it (absolute paths, 1-based lines). */
export interface VerdictFrame {
  file: string | null;
  line: number | null;
  column: number | null;
  function: string | null;
}

export interface Verdict {
  passed: boolean;
  /** Where the rules came from: `loopwatch.config.json`, `package.json#loopwatch`, a --config path, `flags`. */
  source: string;
  /** The directory paths are shown relative to (the project root). */
  root: string;
  rules: RuleResult[];
  /** What a reader should know to trust the verdict: figures that were not measured, processes left out. */
  notes: string[];
  /** Allow entries that matched something, and how much blocking they let pass. */
  allowed: Array<{ entry: AllowEntry; matches: number; totalMs: number }>;
}

export interface RuleResult {
  /** The rule's key path in the configuration: `maxStallMs`, `categories.fs.maxStallMs`, `processes[0].maxStallMs`, `baseline`. */
  rule: string;
  /** What the rule asks, for people: "no stall longer than 100 ms". */
  description: string;
  passed: boolean;
  /** What was found: "2 stalls longer than 100 ms, the longest 160 ms" or "the longest stall was 40 ms". */
  summary: string;
  /** Worst first. Empty when the rule held. */
  offenders: Offender[];
}

export interface Offender {
  /** Where the blocking was seen: a stall's cause, a sync call after startup, threadpool work, a whole process. */
  kind: 'stall' | 'sync-io' | 'threadpool' | 'process';
  callSite: VerdictFrame | null;
  operation: string;
  category: string;
  /** The processes it happened in. */
  pids: number[];
  /** Stalls, calls or episodes it adds up. */
  count: number;
  totalMs: number;
  maxMs: number;
  /**
   * What its time went to, when the line spent it on more than one thing (a probed call
   * and the JavaScript around it, a GC pause there), most first; `operation` and
   * `category` are the first's.
   */
  parts?: OffenderPart[];
  /** The first occurrence's stack, innermost first. */
  stack: VerdictFrame[];
  /** What to add to `allow` to let it pass (a person writes the reason); null where no entry can (a process's delay). */
  suggestedAllow: AllowEntry | null;
  /** With a baseline: a call site the baseline does not know, or one that got worse than it was. */
  baseline?: { status: 'new' } | { status: 'worse'; baselineMaxMs: number };
}

/** A part of an offender's time: one operation at its line. */
export interface OffenderPart {
  operation: string;
  category: string;
  totalMs: number;
}
