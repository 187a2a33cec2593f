/**
 * `loopwatch run --live`: one line per stall while the program runs, for servers that
 * run until they are stopped. The recording is read as the processes append to it, and
 * each stall is attributed one look after its record is there, by the same attribution
 * stage as the report at the end: a stall's record is written at the beat that ends it,
 * and some of its evidence just after (the probed call it overlaps, deferred off the
 * program's path; a sample the watchdog took late, when a native call returned).
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { attributeStall, type ProgramFiles, type StallEvidence } from '../attribution/attribute';
import type { ProcessRecord, RecordingRecord } from '../recording/schema';
import { printable } from '../report/printable';
import { toStall } from '../report/to-stall';
import { describeCallSite, formatMs } from '../report/to-text';

/** How often the recording is looked at: a line appears within this of its stall's end. */
const POLL_MS = 200;
/** Records kept per process for stalls still to come. */
const KEEP = 5_000;

type StallRecord = Extract<RecordingRecord, { type: 'stall' }>;

interface Tail {
  offset: number;
  partial: string;
  process?: ProcessRecord;
  evidence: StallEvidence;
  /** Stalls read at the last look, attributed at this one. */
  waiting: StallRecord[];
}

export class LiveLines {
  private readonly tails = new Map<string, Tail>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly files: ProgramFiles,
    private readonly write: (line: string) => void,
    private readonly cwd: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poll(), POLL_MS);
  }

  /** Stops, after reading what is there: the stalls of the last moments get their lines too. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.poll();
    for (const tail of this.tails.values()) this.attributeWaiting(tail, tail.waiting.length);
  }

  private poll(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.jsonl'));
    } catch {
      return;
    }
    for (const name of names) {
      const file = join(this.dir, name);
      let tail = this.tails.get(file);
      if (!tail) this.tails.set(file, (tail = { offset: 0, partial: '', evidence: { samples: [], syncCalls: [], gcPauses: [], threadTimes: [] }, waiting: [] }));
      const waitedALook = tail.waiting.length;
      this.read(file, tail);
      this.attributeWaiting(tail, waitedALook);
    }
  }

  /** Attributes the first `count` waiting stalls, in order. */
  private attributeWaiting(tail: Tail, count: number): void {
    for (const stall of tail.waiting.splice(0, count)) if (tail.process) this.line(tail, stall);
  }

  private read(file: string, tail: Tail): void {
    this.tails.set(file, tail);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return;
    }
    if (size <= tail.offset) return;
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - tail.offset);
      const read = readSync(fd, buffer, 0, buffer.length, tail.offset);
      tail.offset += read;
      const text = tail.partial + buffer.subarray(0, read).toString('utf8');
      const lines = text.split('\n');
      tail.partial = lines.pop() ?? '';
      for (const line of lines) this.take(tail, line);
    } finally {
      closeSync(fd);
    }
  }

  private take(tail: Tail, line: string): void {
    let record: RecordingRecord;
    try {
      record = JSON.parse(line) as RecordingRecord;
    } catch {
      return; // The report at the end says what could not be read.
    }
    switch (record.type) {
      case 'process':
        tail.process = record;
        break;
      case 'sample':
        keep(tail.evidence.samples, record);
        break;
      case 'syncCall':
        keep(tail.evidence.syncCalls, record);
        break;
      case 'gc':
        keep(tail.evidence.gcPauses, record);
        break;
      case 'threadTime':
        keep(tail.evidence.threadTimes!, record);
        break;
      case 'startup':
        // What the time before the loop's first turn went to: the startup stall's causes.
        tail.evidence.startup = record;
        break;
      case 'stall':
        tail.waiting.push(record);
        break;
      default:
        break;
    }
  }

  private line(tail: Tail, record: StallRecord): void {
    const p = tail.process!;
    try {
      const stall = toStall(attributeStall(record, tail.evidence, { pid: p.pid, threadId: p.threadId ?? 0, sampleIntervalMs: p.sampleIntervalMs }, this.files));
      const time = new Date(stall.start).toISOString().slice(11, 23);
      const where = describeCallSite(stall, this.cwd);
      const thread = p.threadId ? ` worker thread ${p.threadId}` : '';
      this.write(`loopwatch: ${time} pid ${p.pid}${thread} stall ${formatMs(stall.durationMs)} ${where} ${printable(stall.operation)} (${stall.category})\n`);
    } catch {
      // A line that cannot be made now is in the report at the end.
    }
    tail.evidence.samples = tail.evidence.samples.filter((s) => s.seq > record.seq);
    tail.evidence.threadTimes = tail.evidence.threadTimes!.filter((t) => t.seq > record.seq);
  }
}

function keep<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}
