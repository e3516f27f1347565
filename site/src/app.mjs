// The page: drop or pick a model, see its summary, run it, see timings, outputs and where time goes.
// All work happens in workers through the public API (wasm-torch.mjs); this file is only UI.
// window.APP exposes the page's state for tests and the curious.
import { WASMTorch, siteInfo } from './wasm-torch.mjs';
import { parseNpy } from './runtime/npy.mjs';

const $ = (id) => document.getElementById(id);
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
const APP = { state: 'starting', events: [], error: null, model: null, lastOutputs: null, timings: null, runtime: null };
window.APP = APP;

let rt = null;
let sourceName = null;

// ------------------------------------------------------------------------------------ formatting
const fmtBytes = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} KB` : `${n} B`);
const fmtCount = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} K` : String(n));
const fmtMs = (ms) => (ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(3)} ms`);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function table(node, head, rows) {
  node.replaceChildren(el('tr', {}, ...head.map((h) => el('th', {}, h))),
    ...rows.map((r) => el('tr', {}, ...r.map((c) => (c instanceof Node ? el('td', {}, c) : el('td', typeof c === 'number' ? { class: 'num' } : {}, c))))));
}

function facts(node, pairs) {
  node.replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function bars(node, items, fmt) {
  const max = Math.max(...items.map((i) => i.value), 1e-12);
  node.replaceChildren(...items.flatMap(({ label, value }) => [
    el('span', { class: 'mono' }, label),
    el('div', {}, Object.assign(el('div', { class: 'fill' }), { style: `width:${(100 * value) / max}%` })),
    el('span', { class: 'value' }, fmt(value)),
  ]));
}

// -------------------------------------------------------------------------------- status, errors
function showError(message) {
  APP.error = message;
  APP.state = 'error';
  $('error').textContent = message;
  $('error').hidden = false;
  $('progress').hidden = true;
}

function clearError() {
  APP.error = null;
  $('error').hidden = true;
}

const STAGES = { read: 'Reading the file', cache: 'Found in the plan cache', boot: 'Starting Python (Pyodide)',
  convert: 'Converting to an op graph', plan: 'Planning kernels and memory', load: 'Loading into the kernels' };

function onProgress(p) {
  APP.events.push(p);
  $('progress').hidden = false;
  const frac = p.total ? p.loaded / p.total : 0;
  const order = ['read', 'cache', 'boot', 'convert', 'plan', 'load'];
  const base = order.indexOf(p.stage) / order.length;
  $('progress-fill').style.width = `${Math.round(100 * Math.min(1, base + frac / order.length))}%`;
  $('progress-label').textContent = `${STAGES[p.stage] ?? p.stage}${p.total > 1 ? ` (${p.loaded}/${p.total})` : ''}…`;
}

function setPill(id, text, kind) {
  $(id).textContent = text;
  $(id).className = `pill ${kind ?? ''}`;
}

function watchConverter() {
  const conv = rt.startConverter();
  const t0 = performance.now();
  conv.ready.then((info) => {
    APP.python = info;
    setPill('status-python', `Python ${info.python} ready (${(info.readyMs / 1000).toFixed(1)} s)`, 'ok');
  }, (e) => setPill('status-python', `Python converter failed: ${e.message}`, 'bad'));
  const tick = setInterval(() => {
    if (conv.readyInfo || conv.fatal) return clearInterval(tick);
    setPill('status-python', `Python converter: starting… ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }, 1000);
}

async function startRuntime(threads) {
  if (rt) rt.rt.terminate();
  const converter = rt?.converter;
  rt = await WASMTorch.init({ threads });
  rt.converter = converter ?? null;  // one Pyodide per page, whatever the kernel threads
  APP.runtime = { threads: rt.threads, variant: rt.variant, crossOriginIsolated: rt.crossOriginIsolated };
  setPill('status-kernels', `kernels: ${rt.variant === 'mt' ? 'threaded' : 'single-threaded'}, ${rt.threads} thread${rt.threads > 1 ? 's' : ''}`,
    rt.crossOriginIsolated ? 'ok' : 'warn');
  $('notice-threads').hidden = rt.crossOriginIsolated;
  $('footer-threads').textContent = rt.crossOriginIsolated ? ` on ${rt.threads} thread(s)` : ' on one thread';
}

function fillThreadChoices() {
  const max = crossOriginIsolated ? Math.min(navigator.hardwareConcurrency || 1, 8) : 1;
  $('threads').replaceChildren(...Array.from({ length: max }, (_, i) => el('option', { value: i + 1 }, i + 1)));
  $('threads').value = String(max);
  $('threads').disabled = max === 1;
  return max;
}

// ---------------------------------------------------------------------------------------- loading
// "1,3,224,224; 1,16:int64" -> {shapes: [[1, 3, 224, 224], [1, 16]], dtypes: ['float32', 'int64']}
function parseShapes(text) {
  const t = text.trim();
  if (!t) return {};
  const specs = t.split(';').map((spec) => {
    const [dims, dtype = 'float32'] = spec.split(':').map((p) => p.trim());
    const shape = dims.split(',').map((d) => {
      const n = Number(d.trim());
      if (!Number.isInteger(n) || n < 0) throw new Error(`input shapes: "${spec.trim()}" is not a list of sizes like 1,3,224,224 (optionally :int64)`);
      return n;
    });
    return { shape, dtype };
  });
  return { shapes: specs.map((s) => s.shape), dtypes: specs.map((s) => s.dtype) };
}

// summary: the inspect document to keep when `src` is the .wtm of a model converted earlier.
async function loadModel(src, name, summary = null) {
  clearError();
  APP.state = 'loading';
  APP.lastOutputs = null;
  $('results').hidden = true;
  $('run-card').hidden = true;
  $('summary-card').hidden = true;
  if (APP.model) await APP.model.dispose().catch(() => {});
  APP.model = null;
  sourceName = name;
  try {
    const weights = $('weights').files[0];
    const { shapes, dtypes } = parseShapes($('input-shapes').value);
    const model = await rt.loadModel(src, { name, onProgress, weights, inputShapes: shapes, inputDtypes: dtypes });
    model.summary ??= summary;
    APP.model = model;
    APP.source = model.source;
    $('progress').hidden = true;
    showSummary(model);
    showRunCard(model);
    APP.state = 'ready';
    if ($('autorun').checked) await run();
  } catch (e) {
    if (e.summary) showSummary(null, e.summary);
    showError(e.message);
  }
}

function ioRows(list) {
  return list.map((io) => [io.name, `[${io.shape.join(', ')}]`, io.dtype]);
}

function showSummary(model, failed) {
  const s = failed ?? model.summary;
  $('summary-card').hidden = false;
  $('summary-source').textContent = model ? { converted: 'converted now', cache: 'from the plan cache', wtm: '.wtm plan' }[model.source] : 'not runnable';
  const pairs = [['File', sourceName]];
  if (s) {
    pairs.push(['Format', s.format_description]);
    if (s.params.count) pairs.push(['Parameters', `${fmtCount(s.params.count)} (${fmtBytes(s.params.bytes)} in ${s.params.tensors} tensors)`]);
    pairs.push(['Ops', String(s.op_count)]);
  } else {
    pairs.push(['Format', '.wtm execution plan']);
  }
  if (model) {
    const st = model.getMemoryStats();
    pairs.push(['Plan', `${fmtBytes(model.plan.length)}; in wasm: activations ${fmtBytes(st.arenaBytes)}, weights and kernel state ${fmtBytes(st.weightBytes)}`]);
    if (model.timings.convertMs !== undefined) pairs.push(['Converted in', fmtMs(model.timings.convertMs)]);
    pairs.push(['Loaded in', fmtMs(model.timings.loadMs)]);
  }
  facts($('summary-facts'), pairs);
  table($('summary-inputs'), ['name', 'shape', 'dtype'], ioRows(s?.inputs?.length ? s.inputs : model?.inputs ?? []));
  table($('summary-outputs'), ['name', 'shape', 'dtype'], ioRows(s?.outputs?.length ? s.outputs : model?.outputs ?? []));
  const unsupported = s?.unsupported ?? [];
  $('unsupported-box').hidden = unsupported.length === 0;
  table($('unsupported'), ['op', 'where'], unsupported.map((u) => [el('code', {}, u.op), u.source]));
  const hist = Object.entries(s?.op_histogram ?? {}).slice(0, 20).map(([label, value]) => ({ label, value }));
  bars($('histogram'), hist, String);
  $('warnings').replaceChildren(...(s?.warnings ?? []).map((w) => el('li', {}, w)));
}

// ---------------------------------------------------------------------------------------- inputs
function random(n, dtype) {
  if (dtype === 'int64') return BigInt64Array.from({ length: n }, () => BigInt(Math.floor(Math.random() * 10)));
  if (dtype === 'bool') return Uint8Array.from({ length: n }, () => (Math.random() < 0.5 ? 1 : 0));
  // standard normal (Box-Muller): what torch.randn feeds models in examples
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()));
}

function zeros(n, dtype) {
  return new ({ int64: BigInt64Array, bool: Uint8Array }[dtype] ?? Float32Array)(n);
}

const count = (shape) => shape.reduce((a, b) => a * b, 1);

async function imageInput(file, io) {
  const [n, c, h, w] = io.shape;
  if (io.shape.length !== 4 || c !== 3 || io.dtype !== 'float32')
    throw new Error(`an image fits a float32 [N, 3, H, W] input; input ${io.name} is ${io.dtype} [${io.shape}]`);
  const bitmap = await createImageBitmap(file);
  const canvas = $('image-preview');
  canvas.width = w;
  canvas.height = h;
  canvas.hidden = false;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0, w, h);
  const px = ctx.getImageData(0, 0, w, h).data;
  const data = new Float32Array(n * 3 * h * w);
  for (let ch = 0; ch < 3; ch++)
    for (let i = 0; i < h * w; i++) data[ch * h * w + i] = (px[4 * i + ch] / 255 - IMAGENET_MEAN[ch]) / IMAGENET_STD[ch];
  for (let b = 1; b < n; b++) data.copyWithin(b * 3 * h * w, 0, 3 * h * w);
  return data;
}

async function makeInputs(model) {
  const kind = $('input-kind').value;
  const files = [...$('input-file').files];
  if ((kind === 'npy' || kind === 'image') && files.length === 0) throw new Error(`choose ${kind === 'npy' ? '.npy file(s)' : 'an image'} for the input`);
  if (kind === 'npy') {
    files.sort((a, b) => a.name.localeCompare(b.name));
    if (files.length !== model.inputs.length)
      throw new Error(`the model takes ${model.inputs.length} inputs: choose that many .npy files (in name order), got ${files.length}`);
    return Promise.all(files.map(async (f, i) => {
      const { data, shape } = parseNpy(new Uint8Array(await f.arrayBuffer()), f.name);
      return { data, shape: shape.length === model.inputs[i].shape.length ? shape : model.inputs[i].shape };
    }));
  }
  return Promise.all(model.inputs.map(async (io, i) => {
    const n = count(io.shape);
    if (kind === 'image' && i === 0) return { data: await imageInput(files[0], io), shape: io.shape };
    return { data: kind === 'zeros' ? zeros(n, io.dtype) : random(n, io.dtype), shape: io.shape };
  }));
}

// ------------------------------------------------------------------------------------------- run
function showRunCard(model) {
  $('run-card').hidden = false;
  const image = model.inputs.length > 0 && model.inputs[0].shape.length === 4 && model.inputs[0].shape[1] === 3;
  $('input-kind').querySelector('option[value=image]').disabled = !image;
  if (!image && $('input-kind').value === 'image') $('input-kind').value = 'random';
  $('threads').value = String(rt.threads);
  $('embed').value = embedSnippet(model);
}

function stats(data) {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of data) {
    const x = Number(v);
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  return { min, max, mean: sum / Math.max(1, data.length) };
}

function top5(y) {
  const logits = Array.from(y.data, Number);
  const m = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - m));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e, i) => ({ i, p: e / total, logit: logits[i] })).sort((a, b) => b.p - a.p).slice(0, 5);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function run() {
  const model = APP.model;
  if (!model) return;
  clearError();
  APP.state = 'running';
  $('run').disabled = true;
  try {
    const inputs = await makeInputs(model);
    const runs = Math.max(1, Math.min(1000, Number($('runs').value) || 10));
    let t = performance.now();
    let outs = await model.forward(inputs);
    const firstMs = performance.now() - t;
    const times = [];
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      outs = await model.forward(inputs);
      times.push(performance.now() - t);
    }
    const steps = await model.profile(inputs);
    APP.timings = { firstMs, medianMs: median(times), minMs: Math.min(...times), runs, threads: rt.threads };
    APP.lastOutputs = outs.map((o) => ({ shape: o.shape, dtype: o.dtype, data: Array.from(o.data, Number) }));
    APP.profile = steps;
    showResults(outs, steps);
    APP.state = 'done';
  } catch (e) {
    showError(e.message);
  } finally {
    $('run').disabled = false;
  }
}

function showResults(outs, steps) {
  $('results').hidden = false;
  const t = APP.timings;
  facts($('timings'), [
    ['First run', fmtMs(t.firstMs)],
    [`Median of ${t.runs}`, fmtMs(t.medianMs)],
    ['Fastest', fmtMs(t.minMs)],
    ['Threads', `${t.threads} (${rt.variant === 'mt' ? 'threaded module' : 'single-threaded module'})`],
  ]);
  table($('outputs'), ['output', 'shape', 'dtype', 'min', 'max', 'mean'], outs.map((o, i) => {
    const s = stats(o.data);
    return [APP.model.outputs[i].name, `[${o.shape.join(', ')}]`, o.dtype, s.min.toPrecision(4), s.max.toPrecision(4), s.mean.toPrecision(4)];
  }));
  const y = outs[0];
  const classifier = y.dtype === 'float32' && y.shape.length === 2 && y.shape[0] === 1 && y.shape[1] >= 5;
  $('top5-box').hidden = !classifier;
  if (classifier) table($('top5'), ['class', 'probability', 'logit'], top5(y).map((r) => [r.i, r.p.toFixed(4), r.logit.toFixed(3)]));
  // per op kind, then the slowest single steps
  const byOp = new Map();
  for (const s of steps) byOp.set(s.op, (byOp.get(s.op) ?? 0) + s.ms);
  const total = steps.reduce((a, s) => a + s.ms, 0) || 1;
  const items = [...byOp].sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value }));
  bars($('profile'), items.slice(0, 16), (ms) => `${fmtMs(ms)} · ${((100 * ms) / total).toFixed(0)}%`);
}

function embedSnippet(model) {
  const plan = `${(sourceName ?? 'model').replace(/\.[^.]*$/, '')}.wtm`;
  const args = model.inputs.map((io) => `{ data: new ${io.dtype === 'int64' ? 'BigInt64Array' : io.dtype === 'bool' ? 'Uint8Array' : 'Float32Array'}(${count(io.shape)}), shape: [${io.shape}] }`);
  return `<script type="module">
// Serve ${plan} (the "Download .wtm plan" button) next to your page; the site's files from the same origin.
import { WASMTorch } from '${new URL('wasm-torch.mjs', location.href).href}';
const rt = await WASMTorch.init({ threads: ${rt.threads} });
const model = await rt.loadModel(await (await fetch('${plan}')).arrayBuffer());
const outputs = await model.forward([${args.join(', ')}]);
console.log(outputs[0].shape, outputs[0].data);
</script>`;
}

function download() {
  const blob = new Blob([APP.model.plan], { type: 'application/octet-stream' });
  const a = el('a', { href: URL.createObjectURL(blob), download: `${(sourceName ?? 'model').replace(/\.[^.]*$/, '')}.wtm` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// ---------------------------------------------------------------------------------------- wiring
function wire() {
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer.files[0];
    if (f) loadModel(f, f.name);
  });
  $('file').addEventListener('change', () => {
    const f = $('file').files[0];
    if (f) loadModel(f, f.name);
    $('file').value = '';
  });
  $('sample').addEventListener('click', async () => {
    clearError();
    APP.state = 'loading';
    const info = await siteInfo();
    const res = await fetch(info.sample);
    loadModel(new Uint8Array(await res.arrayBuffer()), info.sample.split('/').pop());
  });
  $('input-kind').addEventListener('change', () => {
    const kind = $('input-kind').value;
    $('input-file').hidden = kind !== 'npy' && kind !== 'image';
    $('input-file').accept = kind === 'npy' ? '.npy' : 'image/*';
    $('input-file').multiple = kind === 'npy';
    $('input-file').value = '';
    $('image-preview').hidden = true;
  });
  $('threads').addEventListener('change', async () => {
    const model = APP.model;
    APP.model = null;  // its runtime worker is about to go
    APP.state = 'loading';
    await startRuntime(Number($('threads').value));
    if (model) await loadModel(model.plan, sourceName, model.summary);  // reloads as .wtm: no conversion
    else APP.state = 'idle';
  });
  $('run').addEventListener('click', run);
  $('download').addEventListener('click', download);
  $('copy-embed').addEventListener('click', () => navigator.clipboard?.writeText($('embed').value));
}

async function main() {
  wire();
  try {
    await startRuntime(fillThreadChoices());
    watchConverter();  // warm Pyodide while the visitor picks a file
    APP.state = 'idle';
  } catch (e) {
    setPill('status-kernels', 'kernels failed', 'bad');
    showError(`The kernel module did not start: ${e.message}`);
  }
}

main();
