'use strict';
// Workload: the async/await-heavy JSON API (lib/orders-api.js: 20 awaits and a sha1 per
// request) on plain node:http. Listens on $PORT.
const http = require('node:http');
const { orderResponse } = require('./lib/orders-api');
const { serving } = require('./lib/server-lifecycle');

const counter = { requests: 0 };
const server = http.createServer(async (req, res) => {
  counter.requests++;
  const m = /^\/api\/orders\/(\d+)\?token=(\d+)$/.exec(req.url);
  if (req.method !== 'GET' || !m) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  const { status, json, etag } = await orderResponse(Number(m[1]), m[2]);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), etag });
  res.end(json);
});

server.listen(Number(process.env.PORT), '127.0.0.1', () => serving(server, counter));
