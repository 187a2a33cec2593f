'use strict';
// Workload: the async/await-heavy JSON API (lib/orders-api.js) on fastify 5, with its
// default settings (no logger). Listens on $PORT.
const fastify = require('fastify');
const { orderResponse } = require('./lib/orders-api');
const { serving } = require('./lib/server-lifecycle');

const counter = { requests: 0 };
const app = fastify();
app.get('/api/orders/:id', async (request, reply) => {
  counter.requests++;
  const { status, json, etag } = await orderResponse(Number(request.params.id), String(request.query.token ?? '0'));
  reply.code(status).header('content-type', 'application/json').header('etag', etag);
  return json;
});

app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(() => serving(app.server, counter));
