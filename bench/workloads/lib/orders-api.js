'use strict';
// The async/await-heavy JSON API shared by the async workloads (node:http, express,
// fastify): one request is an order lookup written the way service code is, a chain of
// small async steps (auth, load, price each line, shape), 20 awaits in all, and a sha1 of
// the answer for its ETag. Promise-heavy code is where instrumentation that hooks
// promises or keeps the inspector's Debugger enabled costs most; the sha1 and the
// JSON.stringify are the native work a real handler does.
const crypto = require('node:crypto');

const LINES = 8; // one await per line in price(), so that a request makes exactly AWAITS awaits
const AWAITS = 20;

const products = Array.from({ length: 500 }, (_, id) => ({ id, sku: `sku-${id}`, name: `Product ${id}`, unitPrice: 5 + (id % 40) * 1.25 }));
const customers = Array.from({ length: 200 }, (_, id) => ({ id, name: `Customer ${id}`, tier: ['basic', 'plus', 'pro'][id % 3] }));

// Each "database" call stands for an awaited round trip that is already answered.
const db = {
  async customer(id) { return customers[id % customers.length]; },
  async product(id) { return products[id % products.length]; },
  async discount(tier) { return tier === 'pro' ? 0.1 : tier === 'plus' ? 0.05 : 0; },
};

async function authenticate(token) {
  const id = Number.parseInt(token, 10);
  return { customerId: Number.isFinite(id) ? id : 0 };
}

async function priceLine(orderId, i, discount) {
  const product = await db.product(orderId * 7 + i);
  const qty = 1 + ((orderId + i) % 4);
  return { sku: product.sku, name: product.name, qty, total: Math.round(qty * product.unitPrice * (1 - discount) * 100) / 100 };
}

/** Answers GET /api/orders/:id?token=N: { status, body (object), etag }. */
async function orderResponse(orderId, token) {
  let awaits = 0;
  const session = await authenticate(token); awaits++;
  const customer = await db.customer(session.customerId); awaits++;
  const discount = await db.discount(customer.tier); awaits++;
  const lines = [];
  for (let i = 0; i < LINES; i++) {
    lines.push(await priceLine(orderId, i, discount)); // 2 awaits each: this one and the db call inside
    awaits += 2;
  }
  const total = lines.reduce((sum, l) => sum + l.total, 0);
  const body = await shape({ id: orderId, customer: customer.name, tier: customer.tier, lines, total }); awaits++;
  if (awaits !== AWAITS) throw new Error(`expected ${AWAITS} awaits, made ${awaits}`);
  const json = JSON.stringify(body);
  const etag = `"${crypto.createHash('sha1').update(json).digest('base64url')}"`;
  return { status: 200, body, json, etag };
}

async function shape(order) {
  return { ...order, currency: 'EUR', total: Math.round(order.total * 100) / 100, items: order.lines.length };
}

module.exports = { orderResponse, AWAITS, URL_PATH: '/api/orders/1234?token=42' };
