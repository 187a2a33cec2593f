import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURES, readMarkers, ROOT } from './run-cli';

describe('loopwatch run --live', () => {
  it('prints each stall while the program still runs, attributed to its line', async () => {
    const marker = readMarkers(join(FIXTURES, 'live-server.js'))[0]!;
    const child = spawn(process.execPath, [BIN, 'run', '--live', 'fixtures/live-server.js'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    let exited = false;
    child.on('exit', () => (exited = true));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const liveLines = () => stderr.split('\n').filter((l) => / pid \d+ stall /.test(l));
    let status: number | null;
    try {
      // Read both lines while the program runs: it ends only when its stdin closes.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no live lines in 20 s: ${stderr}`)), 20_000);
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk;
          if (liveLines().length >= 2) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(exited).toBe(false);
      for (const line of liveLines()) {
        expect(line).toMatch(new RegExp(`^loopwatch: \\d\\d:\\d\\d:\\d\\d\\.\\d{3} pid \\d+ stall \\d+(\\.\\d)? ms fixtures/live-server\\.js:${marker.line}:\\d+ crypto\\.pbkdf2Sync \\(crypto\\)$`));
      }
    } finally {
      // Whatever was asserted, the program ends (at its stdin's end) and loopwatch with it,
      // removing its recording: never a server or a recording left behind.
      child.stdin.end();
      status = await closed;
    }
    expect(status).toBe(0);
    // The report at the end is unchanged: it comes after the live lines.
    expect(stderr.indexOf('loopwatch: 2 stalls')).toBeGreaterThan(stderr.lastIndexOf(' stall '));
    expect(stderr).toContain('crypto.pbkdf2Sync (crypto): 2 stalls');
  });
});
