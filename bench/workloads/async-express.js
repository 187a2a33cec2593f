'use strict';
// Workload: the async/await-heavy JSON API (lib/orders-api.js) on express 5, whose
// router awaits async handlers itself. Listens on $PORT.
const express = require('express');
const { orderResponse } = require('./lib/orders-api');
const { serving } = require('./lib/server-lifecycle');

const counter = { requests: 0 };
const app = express();
app.set('etag', false); // the handler sets its own ETag, as in the other two servers
app.get('/api/orders/:id', async (req, res) => {
  counter.requests++;
  const { status, json, etag } = await orderResponse(Number(req.params.id), String(req.query.token ?? '0'));
  res.status(status).set({ 'content-type': 'application/json', etag }).send(json);
});

const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => serving(server, counter));
