'use strict';
// GC alternative: Node's trace events with V8's 'v8' category (trace_events module):
// V8 emits a MinorGC / MajorGC begin and end and a V8.GCScavenger event per collection
// from C++, and Node's tracing thread writes them to node_trace.1.log in the process's
// working directory; no JavaScript runs per collection. Loses: the events are in a file
// of Node's choosing (the pattern is only a command-line flag), written in chunks by
// another thread, so an agent must find, read and parse it, late; the category brings
// V8's compile and deoptimisation events too; a program that traces itself shares it.
const trace = require('node:trace_events');
const { isMainThread } = require('./lib');

if (isMainThread) trace.createTracing({ categories: ['v8'] }).enable();
