#!/usr/bin/env node
// Runs ONNX Runtime (CPU, graph optimisations off so it computes what the
// graph says) to make impasto's golden outputs. Used only to make goldens.
//
//   node run_ort.js fixtures GOLDENS_DIR
//       For every "model=" line of GOLDENS_DIR/manifest.txt: feed its
//       in:NAME=FILE .npy inputs, write <model>.out<k>.npy and rewrite the
//       line with out:NAME=FILE tokens (old out: tokens are dropped).
//   node run_ort.js johnson MODELS_DIR OUT_DIR SAMPLES
//       Run the four Johnson nets on the synthetic 720x720 image of
//       ../shared/models/README.md and write a compact golden per net:
//       per-channel mean/std and SAMPLES pixels at seeded random positions.
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const SESSION_OPTIONS = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'disabled',
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
};

// ---- .npy (format version 1.0, little-endian, C order) --------------------

const NPY_TYPES = {
  '<f4': ['float32', Float32Array],
  '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array],
  '<i4': ['int32', Int32Array],
  '|u1': ['uint8', Uint8Array],
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
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const t = NPY_TYPES[descr];
  if (!t) throw new Error(`${file}: dtype ${descr} unsupported`);
  const count = dims.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  const bytes = buf.subarray(off, off + count * t[1].BYTES_PER_ELEMENT);
  const data = new t[1](count);
  new Uint8Array(data.buffer).set(bytes);
  return new ort.Tensor(t[0], t[0] === 'bool' ? Uint8Array.from(data) : data, dims);
}

function writeNpy(file, tensor) {
  const descr = Object.keys(NPY_TYPES).find((k) => NPY_TYPES[k][0] === tensor.type);
  if (!descr) throw new Error(`cannot write ${tensor.type}`);
  const dims = tensor.dims;
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n' to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const data = tensor.data;
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

// ---- fixtures ---------------------------------------------------------------

async function fixtures(dir) {
  const manifest = path.join(dir, 'manifest.txt');
  const lines = fs.readFileSync(manifest, 'utf8').split('\n');
  const out = [];
  for (const line of lines) {
    if (!line.startsWith('model=')) {
      out.push(line);
      continue;
    }
    const tokens = line.split(/\s+/).filter((t) => t && !t.startsWith('out:'));
    const model = tokens[0].slice('model='.length);
    const feeds = {};
    for (const t of tokens.slice(1)) {
      const m = /^in:([^=]+)=(.+)$/.exec(t);
      if (!m) throw new Error(`${manifest}: bad token ${t}`);
      feeds[m[1]] = readNpy(path.join(dir, m[2]));
    }
    const session = await ort.InferenceSession.create(path.join(dir, model), SESSION_OPTIONS);
    const results = await session.run(feeds);
    const base = model.replace(/\.onnx$/, '');
    session.outputNames.forEach((name, k) => {
      const file = `${base}.out${k}.npy`;
      writeNpy(path.join(dir, file), results[name]);
      tokens.push(`out:${name}=${file}`);
    });
    out.push(tokens.join(' '));
    console.log(`${model}: ${session.outputNames.length} outputs`);
  }
  fs.writeFileSync(manifest, out.join('\n'));
}

// ---- Johnson nets at 720x720 -------------------------------------------------

// The synthetic image of ../shared/models/README.md, fed as BGR:
// v(c,y,x) = 127.5*(1+sin(0.05*x + 0.09*y + c)) with c = 0,1,2 for R,G,B,
// so plane 0 (B) uses c = 2.
function synthetic(h, w) {
  const data = new Float32Array(3 * h * w);
  for (let plane = 0; plane < 3; plane++) {
    const c = 2 - plane;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        data[(plane * h + y) * w + x] = 127.5 * (1 + Math.sin(0.05 * x + 0.09 * y + c));
      }
    }
  }
  return new ort.Tensor('float32', data, [1, 3, h, w]);
}

// xorshift32: positions only need to be spread out and reproducible.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

async function johnson(modelsDir, outDir, samples) {
  const nets = ['candy', 'la_muse', 'mosaic', 'udnie'];
  const H = 720;
  const W = 720;
  const input = synthetic(H, W);
  fs.mkdirSync(outDir, { recursive: true });
  for (const [i, net] of nets.entries()) {
    const rel = `style/johnson-instancenorm-onnx/${net}.onnx`;
    const session = await ort.InferenceSession.create(path.join(modelsDir, rel), SESSION_OPTIONS);
    const t0 = Date.now();
    const res = await session.run({ [session.inputNames[0]]: input });
    const y = res[session.outputNames[0]];
    const lines = [
      `# ONNX Runtime ${ort.env.versions.node} (CPU, optimisations off) on ${rel},`,
      '# synthetic 720x720 input of ../shared/models/README.md fed as BGR 0..255.',
      `model ${rel}`,
      `input ${session.inputNames[0]} ${input.dims.join(' ')}`,
      `output ${session.outputNames[0]} ${y.dims.join(' ')}`,
      '# channel c mean std (float64 over all pixels, population std)',
    ];
    const [, C, OH, OW] = y.dims;
    for (let c = 0; c < C; c++) {
      let sum = 0;
      let sq = 0;
      const plane = y.data.subarray(c * OH * OW, (c + 1) * OH * OW);
      for (const v of plane) sum += v;
      const mean = sum / plane.length;
      for (const v of plane) sq += (v - mean) * (v - mean);
      lines.push(`channel ${c} ${mean.toPrecision(17)} ${Math.sqrt(sq / plane.length).toPrecision(17)}`);
    }
    lines.push('# px c y x value');
    const next = rng(0x9e3779b9 ^ (i + 1));
    for (let k = 0; k < samples; k++) {
      // Include the corners and the centre: edges are where padding shows.
      let c = next() % C;
      let py = next() % OH;
      let px = next() % OW;
      if (k < 4) {
        py = k & 1 ? OH - 1 : 0;
        px = k & 2 ? OW - 1 : 0;
      } else if (k === 4) {
        py = OH >> 1;
        px = OW >> 1;
      }
      if (k < 5) c = k % C;
      const v = y.data[(c * OH + py) * OW + px];
      lines.push(`px ${c} ${py} ${px} ${v.toPrecision(9)}`);
    }
    fs.writeFileSync(path.join(outDir, `${net}.txt`), lines.join('\n') + '\n');
    console.log(`${net}: ${Date.now() - t0} ms, ${lines[6]} / ${lines[7]} / ${lines[8]}`);
  }
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'fixtures' && args.length === 1) return fixtures(args[0]);
  if (mode === 'johnson' && args.length === 3) return johnson(args[0], args[1], Number(args[2]));
  console.error('usage: run_ort.js fixtures DIR | johnson MODELS_DIR OUT_DIR SAMPLES');
  process.exit(2);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
