'use strict';
// A DNS server that answers slowly, for tests of threadpool starvation: each
// dns.lookup of a name under loopwatch.test holds a libuv threadpool thread
// (glibc's getaddrinfo) for --delay-ms.
//
//   node slow-dns-server.js --delay-ms 1500 --port 53 --host 127.0.0.1 [--verbose] [--exit-with-stdin]
//
// A queries for loopwatch.test and names under it get 127.0.0.1; every other
// type (AAAA included) gets an empty NOERROR answer, so getaddrinfo's parallel
// A and AAAA queries both end after one delay; names outside loopwatch.test get
// NXDOMAIN, after the same delay. UDP only: these answers are far below 512
// bytes, so glibc never retries over TCP.
//
// Prints `listening <host>:<port>` on stdout when ready and nothing else
// (--verbose logs each query on stderr). Exits on SIGTERM, and with
// --exit-with-stdin also when its stdin ends: a test process that starts it on
// a pipe takes it down when it dies, even by a signal.
const dgram = require('node:dgram');
const net = require('node:net');
const { parseArgs } = require('node:util');
const dnsPacket = require('dns-packet');

const ZONE = 'loopwatch.test';
const NXDOMAIN = 3; // the rcode, in the low 4 bits of the header's flags

const { values } = parseArgs({
  options: {
    'delay-ms': { type: 'string', default: '1500' },
    port: { type: 'string', default: '53' },
    host: { type: 'string', default: '127.0.0.1' },
    verbose: { type: 'boolean', default: false },
    'exit-with-stdin': { type: 'boolean', default: false },
  },
});
const delayMs = Number(values['delay-ms']);
const port = Number(values.port);
if (!(delayMs >= 0) || !Number.isInteger(port)) {
  console.error('usage: slow-dns-server.js --delay-ms <ms> --port <port> --host <address> [--verbose] [--exit-with-stdin]');
  process.exit(2);
}

function inZone(name) {
  const lower = name.toLowerCase();
  return lower === ZONE || lower.endsWith('.' + ZONE);
}

function answer(query) {
  const question = query.questions[0];
  const known = question !== undefined && inZone(question.name);
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    // Authoritative for the zone; echo the client's recursion-desired bit.
    flags: dnsPacket.AUTHORITATIVE_ANSWER | (query.flags & dnsPacket.RECURSION_DESIRED) | (known ? 0 : NXDOMAIN),
    questions: query.questions,
    answers:
      known && question.type === 'A'
        ? [{ type: 'A', class: 'IN', name: question.name, ttl: 0, data: '127.0.0.1' }]
        : [],
  });
}

const socket = dgram.createSocket(net.isIPv6(values.host) ? 'udp6' : 'udp4');

socket.on('message', (message, from) => {
  let query;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return; // not DNS: a real server would drop it too
  }
  const question = query.questions[0];
  if (values.verbose) console.error(`query ${question ? `${question.type} ${question.name}` : '(none)'} from ${from.address}:${from.port}`);
  setTimeout(() => socket.send(answer(query), from.port, from.address), delayMs);
});

socket.on('error', (error) => {
  console.error(`slow-dns-server: ${error.message}`);
  process.exit(1);
});

socket.bind(port, values.host, () => {
  const { address, port: bound } = socket.address();
  console.log(`listening ${address}:${bound}`);
});

process.on('SIGTERM', () => process.exit(0));
if (values['exit-with-stdin']) process.stdin.on('end', () => process.exit(0)).resume();
