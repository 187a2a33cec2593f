'use strict';
// GC alternative: a PerformanceObserver on 'gc' whose callback does nothing, not even
// read its list. What is left is Node's own work per collection (the entry made in C++,
// a native immediate, the JavaScript entry object, the observer's setImmediate dispatch):
// the part of the GC probe's cost that no callback can save.
const { PerformanceObserver } = require('node:perf_hooks');
const { isMainThread } = require('./lib');

if (isMainThread) new PerformanceObserver(() => {}).observe({ type: 'gc' });
