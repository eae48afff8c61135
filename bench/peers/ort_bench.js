#!/usr/bin/env node
// Time one ONNX model in ONNX Runtime (onnxruntime-node, CPU) and print one
// JSON line: {"runtime":"ort", "median_ms":..., "min_ms":..., "runs":[...]}.
// Usage: node ort_bench.js MODEL.onnx --threads N --runs N --warmup N
'use strict';
const ort = require('onnxruntime-node');

function parseArgs(argv) {
  const a = { threads: 1, runs: 15, warmup: 3, model: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--threads') a.threads = parseInt(argv[++i], 10);
    else if (k === '--runs') a.runs = parseInt(argv[++i], 10);
    else if (k === '--warmup') a.warmup = parseInt(argv[++i], 10);
    else if (!a.model) a.model = k;
    else throw new Error(`unexpected argument ${k}`);
  }
  if (!a.model) throw new Error('usage: ort_bench.js MODEL --threads N --runs N');
  return a;
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const session = await ort.InferenceSession.create(a.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const feeds = {};
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
  for (const name of session.inputNames) {
    const meta = session.inputMetadata
      ? session.inputMetadata.find((m) => m.name === name) : null;
    const dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1)) : null;
    if (!dims) throw new Error(`cannot tell the shape of input ${name}`);
    const n = dims.reduce((x, y) => x * y, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rand();
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  for (let i = 0; i < a.warmup; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < a.runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(JSON.stringify({
    runtime: 'ort', version: require('onnxruntime-node/package.json').version,
    threads: a.threads, median_ms: median(times), min_ms: Math.min(...times),
    max_ms: Math.max(...times), runs: times,
  }));
}

main().catch((e) => { console.error(`ort_bench: ${e.message}`); process.exit(1); });
