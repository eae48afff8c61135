#!/usr/bin/env node
// Runs ONNX Runtime on ONNX files impasto wrote and compares each output
// with a reference .npy (impasto's output on the model it was converted
// from). Used by tools/onnx_export/check_ort.sh; never needed to build.
//
//   node ort_compare.js LIST TOLERANCE
//       LIST lines: model=FILE in:NAME=FILE... out:NAME=FILE...
//       Prints one line per model: the largest absolute difference of any
//       output and of its values' range; exits 1 when any exceeds
//       TOLERANCE * max(1, largest |reference value|).
'use strict';

const fs = require('fs');
const path = require('path');
const ortDir = path.join(__dirname, '..', 'goldens', 'ort', 'node_modules', 'onnxruntime-node');
const ort = require(ortDir);

const TYPES = {
  '<f4': ['float32', Float32Array],
  '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array],
  '<i4': ['int32', Int32Array],
  '|u1': ['uint8', Uint8Array],
  '|i1': ['int8', Int8Array],
  '|b1': ['bool', Uint8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not .npy`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const dims = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',')
    .map((s) => s.trim()).filter((s) => s).map(Number);
  const t = TYPES[descr];
  if (!t) throw new Error(`${file}: dtype ${descr} unsupported`);
  const count = dims.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  const data = new t[1](count);
  new Uint8Array(data.buffer).set(buf.subarray(off, off + count * t[1].BYTES_PER_ELEMENT));
  return new ort.Tensor(t[0], t[0] === 'bool' ? Uint8Array.from(data) : data, dims);
}

function compare(got, want) {
  if (got.dims.join('x') !== want.dims.join('x')) {
    return { diff: Infinity, scale: 0, why: `shape ${got.dims} vs ${want.dims}` };
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.data.length; i++) {
    const a = Number(got.data[i]);
    const b = Number(want.data[i]);
    const d = Math.abs(a - b);
    if (!(d <= diff)) diff = Number.isNaN(d) && Number.isNaN(a) && Number.isNaN(b) ? diff : d;
    scale = Math.max(scale, Math.abs(b));
  }
  return { diff, scale };
}

async function main() {
  const [list, tolText] = process.argv.slice(2);
  if (!list || !tolText) {
    console.error('usage: ort_compare.js LIST TOLERANCE');
    process.exit(2);
  }
  const tol = Number(tolText);
  let bad = 0;
  for (const line of fs.readFileSync(list, 'utf8').split('\n')) {
    if (!line.startsWith('model=')) continue;
    const tokens = line.split(/\s+/).filter((t) => t);
    const model = tokens[0].slice('model='.length);
    const feeds = {};
    const refs = {};
    for (const t of tokens.slice(1)) {
      const m = /^(in|out):([^=]+)=(.+)$/.exec(t);
      if (!m) throw new Error(`${list}: bad token ${t}`);
      (m[1] === 'in' ? feeds : refs)[m[2]] = readNpy(m[3]);
    }
    let worst = null;
    let why = '';
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1,
      });
      const results = await session.run(feeds);
      for (const [name, want] of Object.entries(refs)) {
        const c = compare(results[name], want);
        if (c.why) why = `${name}: ${c.why}`;
        if (!worst || !(c.diff / Math.max(1, c.scale) <= worst.diff / Math.max(1, worst.scale))) {
          worst = c;
        }
      }
    } catch (e) {
      why = String(e.message || e).split('\n')[0];
      worst = { diff: Infinity, scale: 0 };
    }
    if (!worst) worst = { diff: Infinity, scale: 0 };
    const ok = worst.diff <= tol * Math.max(1, worst.scale);
    if (!ok) bad++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${path.basename(model)}: max |ORT - impasto| ` +
      `${worst.diff.toExponential(2)} (values up to ${worst.scale.toPrecision(4)})` +
      `${why ? ` ${why}` : ''}`);
  }
  console.log(`ONNX Runtime ${require(path.join(ortDir, 'package.json')).version}: ` +
    `${bad ? `${bad} model(s) differ` : 'every model agrees'} (tolerance ${tol})`);
  process.exit(bad ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
