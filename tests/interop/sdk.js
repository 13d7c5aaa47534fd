#!/usr/bin/env node
// sdk.js - drive the official Momento Node.js SDK (@gomomento/sdk) from the
// interop tests and print what it sees as JSON lines on stdout, one object per
// event, so that the shell tests can check them with jq.
//
//   node sdk.js subscribe --port P --cache C --topic T [--count N] [--heartbeats K]
//                         [--timeout S] [--ready FILE] [--publish-text S]...
//                         [--publish-hex H]... [--lockstep]
//                         [--retry-for S] [--keep NAME] [--until-text S]
//       Subscribes through TopicClient.subscribe. Events:
//         {"ev":"subscribed"}                       subscribe() resolved
//         {"ev":"item","seq":1,"kind":"text","text":"..."}   or "kind":"binary","hex":"..."
//         {"ev":"heartbeat"} {"ev":"discontinuity","last":L,"new":N,"page":P}
//         {"ev":"connection_lost"}
//         {"ev":"error","op":"subscribe","code":"...","class":"...","message":"..."}
//         {"ev":"done","items":N,"heartbeats":K}
//       Status 0 once N items and K heartbeats have arrived, 2 on timeout
//       (default 10 s), 3 when the subscription failed. --ready FILE is written
//       once subscribed. The --publish-* values are published in order through
//       the same client once subscribed; with --lockstep, each one only after
//       an item has arrived for the one before, so that none is published
//       while the SDK is between two streams.
//       --retry-for S tries a failing subscribe again every 200 ms for up to S
//       seconds ({"ev":"retry",...} for each failure). With --until-text S
//       the step ends (status 0) once an item whose text is S has arrived,
//       however many items came before it, instead of after --count items.
//   node sdk.js publish --port P --cache C --topic T [--text S | --hex H]...
//       Publishes each value in order: {"ev":"published","kind":...} or an error
//       event; status 0 when every publish succeeded, 3 otherwise.
//   node sdk.js cache --port P create NAME | delete NAME | list
//       The control plane through CacheClient: {"ev":"cache","op":"create",
//       "result":"success"} ("already_exists" for CreateCache.AlreadyExists)
//       or an error event; list: {"ev":"caches","caches":[{"name":...,
//       "max_publish_rate":N,"max_subscription_count":N,
//       "max_publish_message_size_kb":N}...]}. Status 0, or 3 on an error.
//   node sdk.js batch < STEPS
//       Runs one step per line of STEPS, each a JSON array [NAME, COMMAND,
//       ARGS...], one after the other in this one process (Node and the SDK
//       take a while to start). Every event gets "step":NAME, and each step
//       ends with {"ev":"exit","step":NAME,"status":S}. In a batch, a
//       subscribe step with --keep NAME leaves its subscription open when it
//       succeeds, and the step ["x", "unsubscribe", NAME] closes it. The batch
//       exits 0, or 64 when a step had a usage error.
//
// Connection options: --host H (default 127.0.0.1); --token T sends T as the
// API key (wrapped in a v1 key, as the SDK expects); --tls dials with TLS
// (roots from GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, as gRPC does). Without --token
// and --tls the SDK's own momento-local provider is used, which is what
// momento-topics-local(1), DESCRIPTION, promises works: plaintext and an
// empty token.
// --keepalive-ms MS replaces the HTTP/2 keepalive ping period of the Default
// configuration (5000), and allows 5 s instead of 1 s for each ping's ack. MO_SDK_LOG=trace|debug|info|warn|error sets the level
// of the SDK's own log, printed as {"ev":"log",...} lines (default warn).
// MO_SDK_STAMP=1 adds "ms" to every line: milliseconds since the process
// started, to measure the time between two events.
'use strict';

const fs = require('fs');
const sdk = require('@gomomento/sdk');

class UsageError extends Error {}

// Every option takes one value except --tls; the value lists keep their order
// across --text/--hex (and --publish-text/--publish-hex).
function parseArgs(argv) {
  const cmd = argv[0];
  const opts = {values: [], publish: []};
  const listOf = {'--text': 'values', '--hex': 'values',
    '--publish-text': 'publish', '--publish-hex': 'publish'};
  const known = new Set(['--port', '--host', '--cache', '--topic', '--count',
    '--timeout', '--ready', '--heartbeats', '--token',
    '--keepalive-ms', '--retry-for', '--keep', '--until-text']);
  const positional = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--tls' || a === '--lockstep') {
      opts[a.slice(2)] = true;
      continue;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    if (i + 1 >= argv.length) throw new UsageError(`option ${a} needs a value`);
    const v = argv[++i];
    if (listOf[a]) {
      const kind = a.endsWith('hex') ? 'binary' : 'text';
      if (kind === 'binary' && !/^([0-9a-fA-F]{2})*$/.test(v)) {
        throw new UsageError(`${a}: "${v}" is not an even-length hex string`);
      }
      opts[listOf[a]].push(kind === 'binary' ?
        {kind, value: Uint8Array.from(Buffer.from(v, 'hex'))} : {kind, value: v});
    } else if (known.has(a)) {
      opts[a.slice(2).replace(/-./g, m => m[1].toUpperCase())] = v;
    } else {
      throw new UsageError(`unknown option ${a}`);
    }
  }
  if (cmd === 'unsubscribe') {
    if (positional.length !== 1) throw new UsageError('unsubscribe takes one NAME');
    opts.name = positional[0];
    return {cmd, opts};
  }
  if (cmd === 'cache') {
    if (!opts.port) throw new UsageError('--port is required');
    opts.positional = positional;
    return {cmd, opts};
  }
  if (positional.length) throw new UsageError(`unexpected argument "${positional[0]}"`);
  if (!opts.port) throw new UsageError('--port is required');
  if (!opts.cache || !opts.topic) throw new UsageError('--cache and --topic are required');
  return {cmd, opts};
}

const stamp = process.env.MO_SDK_STAMP === '1';

function emit(obj) {
  const line = stamp ? {...obj, ms: Math.round(performance.now())} : obj;
  process.stdout.write(JSON.stringify(line) + '\n');
}

function errorEvent(op, resp) {
  const inner = resp.innerException ? resp.innerException() : resp;
  return {
    ev: 'error', op,
    code: resp.errorCode ? resp.errorCode() : String(resp),
    class: inner && inner.constructor ? inner.constructor.name : undefined,
    grpc_code: inner && inner.transportDetails ?
      inner.transportDetails().grpc.code : undefined,
    message: resp.message ? resp.message() : String(resp),
  };
}

// The SDK's logs as JSON lines, {"ev":"log","level":"debug","logger":"...","msg":"..."},
// so that they can sit among the events; MO_SDK_LOG sets the level (default warn).
function loggerFactory() {
  const order = ['trace', 'debug', 'info', 'warn', 'error'];
  const want = (process.env.MO_SDK_LOG || 'warn').toLowerCase();
  const min = order.indexOf(want) >= 0 ? order.indexOf(want) : order.indexOf('warn');
  const format = (msg, args) => {
    let i = 0;
    return String(msg).replace(/%[sdio]/g, () => String(args[i++]));
  };
  return {
    getLogger(name) {
      const logger = typeof name === 'string' ? name : name.constructor.name;
      const out = {};
      order.forEach((level, n) => {
        out[level] = n < min ? () => {} :
          (msg, ...args) => emit({ev: 'log', level, logger, msg: format(msg, args)});
      });
      return out;
    },
  };
}

function credentialProvider(opts) {
  const host = opts.host || '127.0.0.1';
  if (opts.token === undefined && !opts.tls) {
    return sdk.CredentialProvider.forMomentoLocal({hostname: host, port: Number(opts.port)});
  }
  // A v1 API key is base64 of {"endpoint","api_key"}; the SDK sends api_key.
  // The endpoint inside is unused because every endpoint is overridden.
  const endpoint = `${host}:${opts.port}`;
  const key = Buffer.from(JSON.stringify({endpoint: 'local.invalid',
    api_key: opts.token || 'unused'})).toString('base64');
  return sdk.CredentialProvider.fromString({
    apiKey: key,
    endpointOverrides: {
      cacheEndpoint: endpoint, controlEndpoint: endpoint, tokenEndpoint: endpoint,
      secureConnection: Boolean(opts.tls),
    },
  });
}

function topicClient(opts) {
  let configuration = sdk.TopicConfigurations.Default.latest(loggerFactory());
  if (opts.keepaliveMs) {
    // Same settings as the Default configuration, with another ping period.
    const grpc = configuration.getTransportStrategy().getGrpcConfig();
    configuration = configuration.withTransportStrategy(new sdk.StaticTopicTransportStrategy({
      grpcConfiguration: new sdk.StaticTopicGrpcConfiguration({
        numStreamClients: grpc.getNumStreamClients(),
        numUnaryClients: grpc.getNumUnaryClients(),
        keepAlivePermitWithoutCalls: grpc.getKeepAlivePermitWithoutCalls(),
        keepAliveTimeMs: Number(opts.keepaliveMs),
        // a slow ack on a loaded machine is not what such a test is about
        keepAliveTimeoutMs: Math.max(grpc.getKeepAliveTimeoutMS(), 5000),
        deadlineMillis: grpc.getDeadlineMillis(),
      }),
    }));
  }
  return new sdk.TopicClient({configuration, credentialProvider: credentialProvider(opts)});
}

function valueEvent(v) {
  return typeof v === 'string' ? {kind: 'text', text: v} :
    {kind: 'binary', hex: Buffer.from(v).toString('hex')};
}

const sleep = (ms) => new Promise(r => setTimeout(r, ms));

async function publishAll(client, opts, values, out) {
  let ok = true;
  for (const {value} of values) {
    const resp = await client.publish(opts.cache, opts.topic, value);
    if (resp instanceof sdk.TopicPublish.Error) {
      out(errorEvent('publish', resp));
      ok = false;
    } else {
      out({ev: 'published', ...valueEvent(value)});
    }
  }
  return ok;
}

// Subscriptions left open by --keep, by name.
const kept = new Map();

function cmdSubscribe(opts, out) {
  const want = Number(opts.count || 0);
  const wantHeartbeats = Number(opts.heartbeats || 0);
  const timeoutS = Number(opts.timeout || 10);
  let items = 0;
  let heartbeats = 0;
  let done = false;
  let subscription = null;
  let resolveStatus;
  const status = new Promise(r => {
    resolveStatus = r;
  });
  // Once the step is over, late events of a kept subscription are not shown.
  const live = (fn) => (...args) => {
    if (!done) fn(...args);
  };
  const finish = (code) => {
    if (done) return;
    out({ev: 'done', items, heartbeats});
    done = true;
    clearTimeout(timer);
    if (subscription) {
      if (opts.keep && code === 0) kept.set(opts.keep, subscription);
      else subscription.unsubscribe();
    }
    resolveStatus(code);
  };
  let publishing = opts.publish.length > 0;
  let nextPublish = 0;
  const publishNext = async () => {
    const value = opts.publish[nextPublish++];
    if (!await publishAll(client, opts, [value], out)) finish(3);
    if (nextPublish === opts.publish.length) {
      publishing = false;
      check();
    }
  };
  let untilSeen = false;
  const check = () => {
    const reached = opts.untilText !== undefined ? untilSeen :
      items >= want && heartbeats >= wantHeartbeats;
    if (subscription && !publishing && reached) finish(0);
  };
  const timer = setTimeout(() => {
    out({ev: 'timeout', after_s: timeoutS});
    finish(2);
  }, timeoutS * 1000);
  const fail = (e) => {
    out({ev: 'exception', message: String(e && e.stack || e)});
    finish(1);
  };

  const client = topicClient(opts);
  const callbacks = {
    onItem: live((item) => {
      const ev = {ev: 'item', seq: item.sequenceNumber(), ...valueEvent(item.value())};
      if (item.tokenId()) ev.publisher_id = item.tokenId();
      out(ev);
      items++;
      if (opts.untilText !== undefined && item.value() === opts.untilText) untilSeen = true;
      if (opts.lockstep && nextPublish > 0 && nextPublish < opts.publish.length) {
        publishNext().catch(fail);
      }
      check();
    }),
    onHeartbeat: live(() => {
      out({ev: 'heartbeat'});
      heartbeats++;
      check();
    }),
    onDiscontinuity: live((d) => out({ev: 'discontinuity', last: d.lastSequenceNumber(),
      new: d.newSequenceNumber(), page: d.newSequencePage()})),
    onConnectionLost: live(() => out({ev: 'connection_lost'})),
    onError: live((err) => {
      out(errorEvent('stream', err));
      finish(3);
    }),
  };
  (async () => {
    const retryUntil = Date.now() + Number(opts.retryFor || 0) * 1000;
    for (;;) {
      const resp = await client.subscribe(opts.cache, opts.topic, callbacks);
      if (done) {
        if (resp instanceof sdk.TopicSubscribe.Subscription) resp.unsubscribe();
        return;
      }
      if (resp instanceof sdk.TopicSubscribe.Subscription) {
        subscription = resp;
        break;
      }
      if (Date.now() < retryUntil) {
        out({...errorEvent('subscribe', resp), ev: 'retry'});
        await sleep(200);
        continue;
      }
      out(errorEvent('subscribe', resp));
      finish(3);
      return;
    }
    out({ev: 'subscribed'});
    if (opts.ready) fs.writeFileSync(opts.ready, 'subscribed\n');
    if (opts.publish.length) {
      if (opts.lockstep) {
        await publishNext();
      } else {
        if (!await publishAll(client, opts, opts.publish, out)) finish(3);
        publishing = false;
      }
    }
    check();
  })().catch(fail);
  return status;
}

async function cmdPublish(opts, out) {
  if (!opts.values.length) throw new UsageError('publish needs at least one --text or --hex');
  const timeoutS = Number(opts.timeout || 10);
  let timer;
  const timeout = new Promise(r => {
    timer = setTimeout(() => {
      out({ev: 'timeout', after_s: timeoutS});
      r(2);
    }, timeoutS * 1000);
  });
  const work = publishAll(topicClient(opts), opts, opts.values, out).then(ok => (ok ? 0 : 3));
  const status = await Promise.race([work, timeout]);
  clearTimeout(timer);
  return status;
}

async function cmdCache(opts, out) {
  const [op, name] = opts.positional || [];
  if (!['create', 'delete', 'list'].includes(op) || (op !== 'list') !== (name !== undefined)) {
    throw new UsageError('cache: create NAME, delete NAME or list');
  }
  const client = await sdk.CacheClient.create({
    configuration: sdk.Configurations.Laptop.v1(loggerFactory()),
    credentialProvider: credentialProvider(opts),
    defaultTtlSeconds: 60,
  });
  try {
    if (op === 'list') {
      const resp = await client.listCaches();
      if (!(resp instanceof sdk.ListCaches.Success)) {
        out(errorEvent('list', resp));
        return 3;
      }
      out({ev: 'caches', caches: resp.getCaches().map(c => ({name: c.getName(),
        max_publish_rate: c.getTopicLimits().maxPublishRate,
        max_subscription_count: c.getTopicLimits().maxSubscriptionCount,
        max_publish_message_size_kb: c.getTopicLimits().maxPublishMessageSizeKb}))});
      return 0;
    }
    const resp = op === 'create' ? await client.createCache(name) : await client.deleteCache(name);
    if (resp instanceof sdk.CreateCache.AlreadyExists) {
      out({ev: 'cache', op, result: 'already_exists'});
      return 0;
    }
    if (resp instanceof sdk.CreateCache.Success || resp instanceof sdk.DeleteCache.Success) {
      out({ev: 'cache', op, result: 'success'});
      return 0;
    }
    out(errorEvent(op, resp));
    return 3;
  } finally {
    client.close();
  }
}

async function cmdUnsubscribe(opts, out) {
  const sub = kept.get(opts.name);
  if (!sub) throw new UsageError(`no kept subscription named "${opts.name}"`);
  sub.unsubscribe();
  kept.delete(opts.name);
  out({ev: 'unsubscribed', name: opts.name});
  return 0;
}

const commands = {subscribe: cmdSubscribe, publish: cmdPublish, unsubscribe: cmdUnsubscribe,
  cache: cmdCache};

// Runs one command line; returns its status. A usage error is status 64.
async function runCommand(argv, out) {
  try {
    const {cmd, opts} = parseArgs(argv);
    const run = commands[cmd];
    if (!run) throw new UsageError(`unknown command "${cmd}" (subscribe, publish, unsubscribe, batch)`);
    return await run(opts, out);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`sdk.js: ${e.message}\n`);
    return 64;
  }
}

async function runBatch() {
  const lines = fs.readFileSync(0, 'utf8').split('\n').filter(l => l.trim() !== '');
  let usage = false;
  for (const [n, line] of lines.entries()) {
    let step;
    try {
      step = JSON.parse(line);
    } catch (e) {
      process.stderr.write(`sdk.js: batch line ${n + 1}: not JSON: ${e.message}\n`);
      return 64;
    }
    if (!Array.isArray(step) || step.length < 2 || !step.every(a => typeof a === 'string')) {
      process.stderr.write(`sdk.js: batch line ${n + 1}: expected ["NAME", "COMMAND", ARGS...] of strings\n`);
      return 64;
    }
    const name = step[0];
    const status = await runCommand(step.slice(1), obj => emit({step: name, ...obj}));
    emit({ev: 'exit', step: name, status});
    if (status === 64) usage = true;
  }
  return usage ? 64 : 0;
}

const argv = process.argv.slice(2);
(argv[0] === 'batch' ? runBatch() : runCommand(argv, emit)).then(
  (status) => process.exit(status),
  (e) => {
    emit({ev: 'exception', message: String(e && e.stack || e)});
    process.exit(1);
  });
