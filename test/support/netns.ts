import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';

/**
 * A network namespace whose resolver is test/support/slow-dns-server.js, for fixtures that
 * must wait on real DNS: `ip netns exec` bind-mounts /etc/netns/<name>/resolv.conf over
 * /etc/resolv.conf, so glibc's getaddrinfo (dns.lookup) in there asks our server on
 * 127.0.0.1:53, which answers names under loopwatch.test with 127.0.0.1 after a delay.
 * Needs root and iproute2; without them, tests skip with the reason
 * resolverNamespaceUnavailable() gives.
 */
export interface ResolverNamespace {
  name: string;
  /** The command, to run inside the namespace (same environment and working directory). */
  wrap(command: string[]): string[];
  /** Stops the server and deletes the namespace and its /etc/netns directory. Safe to call twice. */
  close(): void;
}

export interface ResolverNamespaceOptions {
  /** How long the server waits before each answer. */
  delayMs: number;
  /** The server logs each query on this process's stderr. */
  verbose?: boolean;
}

/** The machine cannot give a test a resolver namespace; the message is the one-line reason. */
export class ResolverNamespaceUnavailable extends Error {}

const SERVER = join(__dirname, 'slow-dns-server.js');
// Tests may run with a PATH that lacks the sbin directories.
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((file) => existsSync(file)) ?? 'ip';
const NAME = /^loopwatch-(\d+)-\d+$/;
const READY_TIMEOUT_MS = 10_000;

let created = 0;
let unavailable: { reason: string | undefined } | undefined;

/**
 * Why resolver namespaces cannot be made here, or undefined when they can. The first call
 * sets up and tears down a probe namespace, so the answer is the real one; later calls
 * reuse it. Call it while tests are collected: `describe.skipIf(reason)`, `ctx.skip(...)`.
 */
export function resolverNamespaceUnavailable(): string | undefined {
  if (!unavailable) {
    const name = nextName();
    try {
      setUp(name);
      tearDown(name);
      unavailable = { reason: undefined };
    } catch (error) {
      if (!(error instanceof ResolverNamespaceUnavailable)) throw error;
      unavailable = { reason: error.message };
    }
  }
  return unavailable.reason;
}

/**
 * Creates a namespace with the slow resolver listening in it. Throws ResolverNamespaceUnavailable
 * when the machine does not allow it, any other error when the server does not start.
 */
export async function createResolverNamespace(options: ResolverNamespaceOptions): Promise<ResolverNamespace> {
  const name = nextName();
  setUp(name);
  let server: ChildProcess;
  try {
    server = await startServer(name, options);
  } catch (error) {
    tearDown(name);
    throw error;
  }
  let closed = false;
  const namespace: ResolverNamespace = {
    name,
    wrap: (command) => [IP, 'netns', 'exec', name, ...command],
    close() {
      if (closed) return;
      closed = true;
      server.kill('SIGTERM');
      tearDown(name);
    },
  };
  return namespace;
}

function nextName(): string {
  return `loopwatch-${process.pid}-${++created}`;
}

function setUp(name: string): void {
  if (process.getuid?.() !== 0) throw new ResolverNamespaceUnavailable('network namespaces unavailable: not running as root');
  checkNameService();
  sweepStale();
  ip(['netns', 'add', name]);
  try {
    const dir = `/etc/netns/${name}`;
    try {
      mkdirSync(dir, { recursive: true });
      // One try, with a timeout far above any test's delay: glibc must not retry during a test.
      writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:10 attempts:1\n');
    } catch (error) {
      throw new ResolverNamespaceUnavailable(`network namespaces unavailable: cannot write ${dir}: ${(error as Error).message}`);
    }
    // Through `ip netns exec`, which also checks that its mount namespace and bind mount work.
    ip(['netns', 'exec', name, IP, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    tearDown(name);
    throw error;
  }
}

/** Deletes what setUp made; throws after trying everything when a step failed. */
function tearDown(name: string): void {
  const failures: string[] = [];
  const deleted = spawnSync(IP, ['netns', 'delete', name], { encoding: 'utf8' });
  if (deleted.status !== 0 && !/No such file/.test(deleted.stderr)) failures.push(`ip netns delete ${name}: ${lastLine(deleted.stderr)}`);
  try {
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  } catch (error) {
    failures.push((error as Error).message);
  }
  if (failures.length > 0) throw new Error(`cleaning up namespace ${name}: ${failures.join('; ')}`);
}

/**
 * Namespaces left by test processes that ended without close(): vitest stops its workers with
 * SIGTERM, so no exit handler would run. Their servers have exited with them (stdin closed).
 */
function sweepStale(): void {
  const list = spawnSync(IP, ['netns', 'list'], { encoding: 'utf8' });
  for (const line of list.stdout?.split('\n') ?? []) {
    const name = line.split(' ')[0]!;
    const match = NAME.exec(name);
    if (!match || isAlive(Number(match[1]))) continue;
    const pids = spawnSync(IP, ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    tearDown(name);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** glibc must take names it does not find in /etc/hosts to the DNS server of resolv.conf. */
function checkNameService(): void {
  let conf: string;
  try {
    conf = readFileSync('/etc/nsswitch.conf', 'utf8');
  } catch {
    return; // without the file glibc uses dns and files
  }
  const line = /^hosts:(.*)$/m.exec(conf)?.[1]?.trim();
  if (line !== undefined) {
    const sources = line.replace(/\[[^\]]*\]/g, ' ').split(/\s+/).filter(Boolean);
    const dns = sources.indexOf('dns');
    // files, myhostname and mdns answer only for names that cannot be ours; others (resolve) bypass resolv.conf.
    const harmless = (source: string) => source === 'files' || source === 'myhostname' || source.startsWith('mdns');
    if (dns < 0 || !sources.slice(0, dns).every(harmless)) {
      throw new ResolverNamespaceUnavailable(`slow resolver unusable: /etc/nsswitch.conf has "hosts: ${line}", not "files dns"`);
    }
  }
  if (/\bloopwatch\.test\b/i.test(readFileSync('/etc/hosts', 'utf8'))) {
    throw new ResolverNamespaceUnavailable('slow resolver unusable: /etc/hosts has entries under loopwatch.test');
  }
}

function ip(args: string[]): void {
  const result = spawnSync(IP, args, { encoding: 'utf8' });
  const what = `ip ${args.slice(0, 2).join(' ')}`;
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new ResolverNamespaceUnavailable(
      code === 'ENOENT' ? 'network namespaces unavailable: ip (iproute2) not found' : `network namespaces unavailable: ${what}: ${result.error.message}`,
    );
  }
  if (result.status !== 0) {
    throw new ResolverNamespaceUnavailable(`network namespaces unavailable: ${what}: ${lastLine(result.stderr) || `exit status ${result.status}`}`);
  }
}

function startServer(name: string, options: ResolverNamespaceOptions): Promise<ChildProcess> {
  const args = ['--delay-ms', String(options.delayMs), '--port', '53', '--host', '127.0.0.1'];
  if (options.verbose) args.push('--verbose');
  // The server exits when its stdin closes, that is with this process, however it ends.
  const child = spawn(IP, ['netns', 'exec', name, process.execPath, SERVER, '--exit-with-stdin', ...args], {
    stdio: ['pipe', 'pipe', options.verbose ? 'inherit' : 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`slow-dns-server in ${name}: ${why}${stderr ? `: ${lastLine(stderr)}` : ''}`));
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited (${signal ?? `status ${code}`}) before listening`);
    const timer = setTimeout(() => fail(`not listening after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    child.once('error', (error) => fail(error.message));
    child.once('exit', onExit);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!/^listening /m.test(stdout)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      // The server says nothing more; a test process that forgot close() must still be free to exit.
      child.stdout!.destroy();
      child.stderr?.destroy();
      (child.stdin as Socket).unref();
      child.unref();
      resolve(child);
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
