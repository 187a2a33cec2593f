/**
 * Live attribution, in the watchdog thread (production mode): each stall is attributed
 * as soon as the main thread says it ended, from the samples this thread took during it
 * and the probed calls and GC pauses the main thread measured, by the same attribution
 * stage that reports on a recording after a run. The finished stall goes back to the
 * main thread. Records are kept only as long as a stall may still need them.
 */
import type { AttributionSettings, ProgramFiles, StallEvidence } from '../attribution/attribute';
import type { FromWatchdog } from '../contract/messages';
import type { WatchdogData } from '../contract/watchdog-data';
import type { GcRecord, PausedRecord, RecordingRecord, SampleRecord, StallRecord, StartupRecord, SyncCallRecord, ThreadTimeRecord } from '../recording/schema';

/** Probed calls and GC pauses older than this can belong to no stall still to come. */
const KEEP_MS = 60_000;
/** At most this many of each kind are kept, whatever happens (a storm of recorded calls). */
const MAX_KEPT = 5_000;

type Attribution = typeof import('../attribution/attribute');

export class LiveAttribution {
  private readonly samples: SampleRecord[] = [];
  private readonly syncCalls: SyncCallRecord[] = [];
  private readonly gcPauses: GcRecord[] = [];
  private readonly threadTimes: ThreadTimeRecord[] = [];
  private readonly paused: PausedRecord[] = [];
  /** What the time before the loop's first turn went to: the startup stall's evidence, written at the same beat. */
  private startup: StartupRecord | undefined;
  private readonly settings: AttributionSettings;
  private attribution: Attribution | undefined;
  private files: ProgramFiles | undefined;
  private readonly thresholdMs: number;

  constructor(
    data: WatchdogData,
    private readonly send: (message: FromWatchdog) => void,
  ) {
    this.settings = { pid: data.pid, sampleIntervalMs: data.settings.sampleIntervalMs };
    this.thresholdMs = data.settings.thresholdMs;
  }

  /**
   * A batch from the main thread: a stall is written at the beat that ends it, and the
   * probed calls it overlaps just after, so each batch's stalls are attributed last.
   */
  addAll(records: RecordingRecord[]): void {
    for (const r of records) if (r.type !== 'stall') this.add(r);
    for (const r of records) if (r.type === 'stall') this.add(r);
  }

  add(record: RecordingRecord): void {
    switch (record.type) {
      case 'sample':
        keep(this.samples, record);
        break;
      case 'syncCall':
        keep(this.syncCalls, record);
        break;
      case 'gc':
        keep(this.gcPauses, record);
        break;
      case 'threadTime':
        keep(this.threadTimes, record);
        break;
      case 'paused':
        // Written when the watchdog sees the pause end: mostly before the stall's record reaches it, which is attributed then.
        keep(this.paused, record);
        break;
      case 'startup':
        this.startup = record;
        break;
      case 'stall':
        this.attribute(record);
        break;
      default:
        // Threadpool work and waits, blocked records: not needed to attribute an event-loop stall.
        break;
    }
  }

  private attribute(stall: StallRecord): void {
    try {
      const { attributeStall, leavePausesOut } = this.load();
      const evidence: StallEvidence = { samples: this.samples, syncCalls: this.syncCalls, gcPauses: this.gcPauses, threadTimes: this.threadTimes };
      if (stall.phase === 'startup' && this.startup) evidence.startup = this.startup;
      // Time paused in a debugger is not the program's: a stall that was only that is none.
      const window = leavePausesOut(stall, this.paused, this.thresholdMs);
      if (window) this.send({ type: 'stall', stall: attributeStall(window, evidence, this.settings, this.files) });
    } catch (err) {
      this.send({ type: 'problem', message: `could not attribute a stall: ${(err as Error).message}` });
    }
    this.forgetBefore(stall);
  }

  /** The attribution stage, loaded at the first stall: a watchdog that never sees one boots without it. */
  private load(): Attribution {
    if (!this.attribution) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      this.attribution = require('../attribution/attribute') as Attribution;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { fileSourceLines } = require('../attribution/source') as typeof import('../attribution/source');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { fileSourceMaps } = require('../attribution/source-maps') as typeof import('../attribution/source-maps');
      this.files = { source: fileSourceLines(), maps: fileSourceMaps() };
    }
    return this.attribution;
  }

  /** Once a stall is attributed, its samples and anything that ended before it are of no more use. */
  private forgetBefore(stall: StallRecord): void {
    drop(this.samples, (s) => s.seq <= stall.seq);
    drop(this.threadTimes, (t) => t.seq <= stall.seq);
    drop(this.paused, (p) => p.seq <= stall.seq);
    const old = stall.start - KEEP_MS;
    drop(this.syncCalls, (c) => c.start + c.durationMs < old);
    drop(this.gcPauses, (g) => g.start + g.durationMs < old);
  }
}

function keep<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > MAX_KEPT) list.splice(0, list.length - MAX_KEPT);
}

function drop<T>(list: T[], gone: (item: T) => boolean): void {
  let kept = 0;
  for (const item of list) if (!gone(item)) list[kept++] = item;
  list.length = kept;
}
