'use strict';
// Workload 4b: startup of a program that requires a few hundred modules, like a
// service loading its framework and dependencies. The modules are generated at bench
// time (nothing generated is committed): 200 files of the program's own, each
// requiring two earlier ones, and 100 packages under node_modules (each with a
// package.json to resolve), each requiring one other package. main.js requires them
// all and calls into each.
const fs = require('node:fs');
const path = require('node:path');

const LOCAL = 200;
const PACKAGES = 100;

function moduleSource(name, requires) {
  const deps = requires.map((r, i) => `const dep${i} = require(${JSON.stringify(r)});`).join('\n');
  return `'use strict';
${deps}
class ${name} {
  constructor(options = {}) { this.options = { retries: 3, timeoutMs: 1000, ...options }; this.cache = new Map(); }
  get(key) { return this.cache.get(key); }
  set(key, value) { this.cache.set(key, value); return this; }
  describe() { return \`${name}(\${Object.keys(this.options).join(',')})\`; }
}
function create(options) { return new ${name}(options); }
function checksum(text) { let h = 7; for (const c of String(text)) h = (h * 31 + c.charCodeAt(0)) | 0; return h; }
module.exports = { ${name}, create, checksum, deps: [${requires.map((_, i) => `dep${i}`).join(', ')}].length };
`;
}

/** Writes the program into dir; returns the path of its main module. */
function generate(dir) {
  const lib = path.join(dir, 'lib');
  fs.mkdirSync(lib, { recursive: true });
  for (let i = 0; i < PACKAGES; i++) {
    const pkg = path.join(dir, 'node_modules', `pkg-${i}`);
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: `pkg-${i}`, version: '1.0.0', main: 'index.js' }));
    fs.writeFileSync(path.join(pkg, 'index.js'), moduleSource(`Package${i}`, i > 0 ? [`pkg-${(i * 7) % i}`] : []));
  }
  for (let i = 0; i < LOCAL; i++) {
    const requires = i > 1 ? [`./m${(i * 13) % i}`, `./m${(i * 5) % i}`, `pkg-${i % PACKAGES}`] : [`pkg-${i}`];
    fs.writeFileSync(path.join(lib, `m${i}.js`), moduleSource(`Module${i}`, requires));
  }
  const main = path.join(dir, 'main.js');
  const lines = Array.from({ length: LOCAL }, (_, i) => `total += require('./lib/m${i}').create({ id: ${i} }).describe().length;`);
  fs.writeFileSync(main, `'use strict';\nlet total = 0;\n${lines.join('\n')}\nif (total === 0) throw new Error('nothing loaded');\n`);
  return main;
}

module.exports = { generate, MODULES: LOCAL + PACKAGES };
