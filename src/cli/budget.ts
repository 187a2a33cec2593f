/**
 * The budget a command holds the run to: the configuration file (if any) with the
 * flags on top (`--fail-on-stall`, `--max-total-blocked`, `--baseline`). Loaded and
 * checked before anything runs, so that a mistake in it costs no run.
 */
import { resolve } from 'node:path';
import { BaselineIndex, DEFAULT_TOLERANCE_PERCENT, readBaseline } from '../gate/baseline';
import { loadConfig, type GateConfig } from '../gate/config';
import { projectRoot } from '../gate/root';
import type { GateInput } from '../gate/evaluate';
import { parseThreshold } from './options';

export interface BudgetFlags {
  config?: string;
  failOnStall?: string;
  maxTotalBlocked?: string;
  baseline?: string;
}

export interface Budget {
  gate: GateInput | undefined;
  /** The stall threshold the configuration asks for, when it sets one. */
  thresholdMs?: number;
  /** Where call sites' paths start (allow globs, baselines, the gate's outputs): the project root. */
  root: string;
}

export function loadBudget(flags: BudgetFlags, cwd: string): Budget {
  const loaded = loadConfig(cwd, flags.config);
  const config: GateConfig = { ...(loaded?.config ?? {}) };
  const sources: string[] = loaded?.source ? [loaded.source] : [];
  const fromFlags: string[] = [];
  if (flags.failOnStall !== undefined) {
    config.maxStallMs = parseThreshold(flags.failOnStall, '--fail-on-stall');
    fromFlags.push('--fail-on-stall');
  }
  if (flags.maxTotalBlocked !== undefined) {
    config.maxTotalBlockedMs = parseThreshold(flags.maxTotalBlocked, '--max-total-blocked');
    fromFlags.push('--max-total-blocked');
  }
  const root = projectRoot(cwd);
  let baseline: BaselineIndex | undefined;
  const configDir = loaded?.dir ?? cwd;
  const baselineFile = flags.baseline !== undefined ? resolve(cwd, flags.baseline) : config.baseline ? resolve(configDir, config.baseline.file) : undefined;
  if (baselineFile) {
    baseline = new BaselineIndex(readBaseline(baselineFile, flags.baseline ?? config.baseline!.file), config.baseline?.tolerancePercent ?? DEFAULT_TOLERANCE_PERCENT);
    if (flags.baseline !== undefined) fromFlags.push('--baseline');
  }
  if (fromFlags.length > 0) sources.push(fromFlags.join(' '));
  const budget: Budget = { gate: undefined, root };
  if (config.threshold !== undefined) budget.thresholdMs = config.threshold;
  if (loaded || fromFlags.length > 0) {
    budget.gate = { config, source: sources.join(' + '), root };
    if (baseline) budget.gate.baseline = baseline;
  }
  return budget;
}
