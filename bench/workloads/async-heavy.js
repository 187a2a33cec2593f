'use strict';
// Workload 2: async/await-heavy code. An order pipeline where every step is an
// async function awaiting the next (validate -> price -> reserve -> save), run over
// batches with Promise.all, plus a plain .then() chain: about a million awaits and
// promise reactions in all. Async code is where instrumentation that hooks promises
// (async_hooks, or the inspector's Debugger domain: 8x slower) costs the most.
const { report } = require('./lib/report');

const ORDERS = Number(process.argv[2] ?? 100_000);
const BATCH = 100;
const stock = new Map();
const saved = [];

async function validate(order) {
  if (!order.items.length) throw new Error('empty order');
  return order;
}

async function price(order) {
  const valid = await validate(order);
  let total = 0;
  for (const item of valid.items) total += item.qty * item.unitPrice;
  return { ...valid, total };
}

async function reserve(order) {
  const priced = await price(order);
  for (const item of priced.items) stock.set(item.sku, (stock.get(item.sku) ?? 0) + item.qty);
  return priced;
}

async function save(order) {
  const reserved = await reserve(order);
  await Promise.resolve(); // stands for the database round trip
  saved.push(reserved.id);
  return reserved.total;
}

function makeOrder(id) {
  return { id, items: [{ sku: `sku-${id % 50}`, qty: 1 + (id % 3), unitPrice: 9.5 }, { sku: `sku-${id % 7}`, qty: 1, unitPrice: 20 }] };
}

function thenChain(n) {
  let p = Promise.resolve(0);
  for (let i = 0; i < n; i++) p = p.then((v) => v + 1);
  return p;
}

async function main() {
  const t0 = performance.now();
  let revenue = 0;
  for (let start = 0; start < ORDERS; start += BATCH) {
    const batch = [];
    for (let id = start; id < start + BATCH; id++) batch.push(save(makeOrder(id)));
    for (const total of await Promise.all(batch)) revenue += total;
    revenue += await thenChain(BATCH);
  }
  report({ workMs: performance.now() - t0, orders: saved.length, revenue });
}

main();
