#!/usr/bin/env node
// node-subscriber.js - the official Momento Node.js SDK (@gomomento/sdk) as a
// latency subscriber, measuring what momento-subscriberd measures, for
// bench/compare-node.sh.
//
//   node node-subscriber.js --port P --cache C --topic T [--host H]
//                           [--count N] [--ready FILE]
//
// Subscribes to one topic of momento-topics-local (TopicClient.subscribe,
// CredentialProvider.forMomentoLocal: plaintext, empty token, the SDK's
// default topic configuration) and, for every item:
//   received_us  = (performance.timeOrigin + performance.now()) * 1000, taken
//                  first thing in onItem: wall-clock time with sub-microsecond
//                  resolution, as the daemon's CLOCK_REALTIME reading;
//   published_us = the "timestamp" field of the JSON payload (the seed format
//                  of momento-publish), RFC 3339 read to the microsecond;
//   latency_us   = trunc(received_us - published_us), as the daemon truncates
//                  its nanosecond difference to whole microseconds.
// Every latency is kept (a growing Float64Array), so the percentiles are exact:
// the value at rank ceil(q * count), the rank the daemon's histogram uses.
//
// Ends on SIGTERM/SIGINT, or after N items with --count, by printing one JSON
// line on stdout:
//   {"count","min_us","p50_us","p90_us","p99_us","p999_us","max_us","mean_us",
//    "negative","decode_errors","duplicates","gaps","discontinuities","errors",
//    "reconnects"}
// duplicates: items at or below the last sequence number seen; gaps: sequence
// numbers skipped; reconnects: the SDK's onConnectionLost calls (it then
// subscribes again by itself, resuming after the last sequence number).
// Note: SDK 1.118.1 gives the first Subscribe call of a subscription a gRPC
// deadline of its request timeout (5 s by default), which ends that stream
// after 5 s; the SDK resubscribes about half a second later and receives what
// was published meanwhile from the server's replay buffer, late. --ready FILE is written once subscribe() has resolved.
// The SDK is found through NODE_PATH (compare-node.sh points it at the build
// tree's tests/interop/node_modules, which `make interop-deps` fills).
'use strict';

const fs = require('fs');
const {performance} = require('perf_hooks');
const sdk = require('@gomomento/sdk');

function usage(msg) {
  process.stderr.write(`node-subscriber.js: ${msg}\n` +
    'usage: node-subscriber.js --port P --cache C --topic T [--host H] [--count N] [--ready FILE]\n');
  process.exit(64);
}

function parseArgs(argv) {
  const opts = {host: '127.0.0.1', count: 0};
  const known = new Set(['--port', '--host', '--cache', '--topic', '--count', '--ready']);
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i];
    if (!known.has(a)) usage(`unknown option "${a}"`);
    if (i + 1 >= argv.length) usage(`option ${a} needs a value`);
    opts[a.slice(2)] = argv[i + 1];
  }
  if (!opts.port || !/^[0-9]+$/.test(opts.port)) usage('--port needs a port number');
  if (!opts.cache || !opts.topic) usage('--cache and --topic are required');
  if (!/^[0-9]+$/.test(String(opts.count))) usage(`--count: "${opts.count}" is not a count`);
  opts.port = Number(opts.port);
  opts.count = Number(opts.count);
  return opts;
}

// RFC 3339 to microseconds since the epoch (fraction truncated to µs, as
// the daemon truncates to ns and then the difference to µs), or NaN.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
function rfc3339Us(s) {
  const m = RFC3339.exec(s);
  if (!m) return NaN;
  // a leap second (:60) reads as :59 plus the fraction, as the daemon does
  const sec = Math.min(Number(m[6]), 59);
  let us = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), sec) * 1000;
  if (m[7]) us += Number((m[7] + '000000').slice(0, 6));
  if (!m[8]) {
    const off = (Number(m[10]) * 60 + Number(m[11])) * 60e6;
    us += m[9] === '+' ? -off : off;
  }
  return us;
}

const opts = parseArgs(process.argv.slice(2));

// Latencies, kept in a typed array that doubles when full.
let lat = new Float64Array(1 << 16);
let n = 0;
const stats = {decode_errors: 0, negative: 0, duplicates: 0, gaps: 0, discontinuities: 0, errors: 0,
  reconnects: 0};
let lastSeq = -1;

function record(v) {
  if (n === lat.length) {
    const bigger = new Float64Array(lat.length * 2);
    bigger.set(lat);
    lat = bigger;
  }
  lat[n++] = v;
  if (v < 0) stats.negative++;
}

function report() {
  const sorted = lat.subarray(0, n).sort(); // typed-array sort is numeric
  const at = (q) => (n ? sorted[Math.max(Math.ceil(q * n), 1) - 1] : 0);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    count: n,
    min_us: at(0), p50_us: at(0.5), p90_us: at(0.9), p99_us: at(0.99), p999_us: at(0.999),
    max_us: n ? sorted[n - 1] : 0,
    mean_us: n ? Math.round(sum / n) : 0,
    ...stats,
  };
}

let finished = false;
let subscription = null;
function finish(code) {
  if (finished) return;
  finished = true;
  if (subscription) subscription.unsubscribe();
  process.stdout.write(JSON.stringify(report()) + '\n', () => process.exit(code));
}

function onItem(item) {
  const receivedUs = (performance.timeOrigin + performance.now()) * 1000;
  const seq = item.sequenceNumber();
  if (lastSeq >= 0 && seq <= lastSeq) {
    stats.duplicates++;
    return;
  }
  if (lastSeq >= 0 && seq > lastSeq + 1) stats.gaps += seq - lastSeq - 1;
  lastSeq = seq;
  let publishedUs = NaN;
  try {
    const v = item.value();
    const doc = JSON.parse(typeof v === 'string' ? v : Buffer.from(v).toString('utf8'));
    if (doc && typeof doc.timestamp === 'string') publishedUs = rfc3339Us(doc.timestamp);
  } catch (e) {
    // not JSON: counted below
  }
  if (Number.isNaN(publishedUs)) {
    stats.decode_errors++;
  } else {
    record(Math.trunc(receivedUs - publishedUs));
  }
  if (opts.count && n + stats.decode_errors >= opts.count) finish(0);
}

process.on('SIGTERM', () => finish(0));
process.on('SIGINT', () => finish(0));

const client = new sdk.TopicClient({
  configuration: sdk.TopicConfigurations.Default.latest(),
  credentialProvider: sdk.CredentialProvider.forMomentoLocal({hostname: opts.host, port: opts.port}),
});

client.subscribe(opts.cache, opts.topic, {
  onItem,
  onDiscontinuity: () => stats.discontinuities++,
  onConnectionLost: () => stats.reconnects++,
  onError: (err) => {
    stats.errors++;
    process.stderr.write(`node-subscriber.js: stream error: ${err.message ? err.message() : err}\n`);
  },
}).then((resp) => {
  if (!(resp instanceof sdk.TopicSubscribe.Subscription)) {
    process.stderr.write(`node-subscriber.js: subscribe failed: ${resp.message ? resp.message() : resp}\n`);
    finish(3);
    return;
  }
  subscription = resp;
  if (finished) {
    resp.unsubscribe();
    return;
  }
  if (opts.ready) fs.writeFileSync(opts.ready, 'subscribed\n');
}, (e) => {
  process.stderr.write(`node-subscriber.js: ${e && e.stack || e}\n`);
  finish(1);
});
