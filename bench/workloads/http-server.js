'use strict';
// Workload 1: a small JSON API on node:http, the kind of handler most Node.js
// services are made of: parse the URL, filter and page an in-memory list, shape the
// objects, JSON.stringify the answer. Listens on $PORT (lib/server-lifecycle.js: ready
// line, graceful stop, what it reports at exit).
const http = require('node:http');
const { serving } = require('./lib/server-lifecycle');

const ROLES = ['user', 'editor', 'admin'];
const users = Array.from({ length: 2000 }, (_, id) => ({
  id,
  name: `User ${id}`,
  email: `user${id}@example.com`,
  role: ROLES[id % ROLES.length],
  createdAt: new Date(1_700_000_000_000 + id * 3_600_000).toISOString(),
  score: ((id * 37) % 1000) / 10,
}));

function listUsers(query) {
  const limit = Math.min(Number(query.get('limit') ?? 20), 100);
  const offset = Number(query.get('offset') ?? 0);
  const role = query.get('role');
  const matching = role ? users.filter((u) => u.role === role) : users;
  const items = matching.slice(offset, offset + limit).map((u) => ({
    ...u,
    profileUrl: `/api/users/${u.id}`,
    badge: u.score > 90 ? 'gold' : u.score > 50 ? 'silver' : 'none',
  }));
  return { total: matching.length, offset, limit, items };
}

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

const counter = { requests: 0 };
const server = http.createServer((req, res) => {
  counter.requests++;
  const url = new URL(req.url, 'http://localhost');
  const one = /^\/api\/users\/(\d+)$/.exec(url.pathname);
  if (req.method === 'GET' && url.pathname === '/api/users') return send(res, 200, listUsers(url.searchParams));
  if (req.method === 'GET' && one && users[one[1]]) return send(res, 200, users[one[1]]);
  send(res, 404, { error: 'not found' });
});

server.listen(Number(process.env.PORT), '127.0.0.1', () => serving(server, counter));
