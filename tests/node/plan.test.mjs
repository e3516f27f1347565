// The plan runtime (wasm_kernels/runtime/) through its JS binding (py/wasm_torch/runtime/wtm.mjs), in
// both module variants: a whole plan against its float64 expected output, no allocation and flat wasm
// memory over 1000 forward calls, no leak across load/free, threads, and the hostile corpus of
// tests/hostile/plans/ (written by tools/make_hostile_plans.py) plus random re-signed mutations of
// the valid plan: every bad plan is rejected with a status code and message, none traps.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKernels, rng, unloadKernels } from './load_kernels.mjs';
import { loadPlan, PlanError, prepareThreads } from '../../py/wasm_torch/runtime/wtm.mjs';

const PLANS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'hostile', 'plans');
const VALID = readFileSync(path.join(PLANS, 'valid_mlp.wtm'));
const CASE = JSON.parse(readFileSync(path.join(PLANS, 'valid_mlp.json'), 'utf8'));
const EXPECTED = JSON.parse(readFileSync(path.join(PLANS, 'expected.json'), 'utf8'));
const INPUT = Float32Array.from(CASE.input);
// One instance per variant for the whole file (each instance adds process-wide listeners).
const MODULES = { st: await loadKernels('st'), mt: await loadKernels('mt') };
after(() => unloadKernels(MODULES.mt));

function assertClose(got, want, what) {
  const scale = Math.max(1, ...want.map(Math.abs));
  const diff = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])));
  assert.ok(diff <= 1e-4 * scale, `${what}: max |diff| ${diff} > ${1e-4 * scale}`);
}

function resign(bytes) {
  bytes.set(createHash('sha256').update(bytes.subarray(64)).digest(), 32);
  return bytes;
}

for (const variant of ['st', 'mt']) {
  test(`valid plan: outputs, io table, inputs untouched (${variant})`, async () => {
    const M = MODULES[variant];
    const model = loadPlan(M, VALID);
    assert.deepEqual(model.inputs.map((io) => [io.name, io.shape]), [['x', CASE.input_shape]]);
    assert.deepEqual(model.outputs.map((io) => [io.name, io.shape]), [['logits', CASE.output_shape]]);
    const [y] = model.run([INPUT]);
    assertClose(y, CASE.output, 'valid_mlp');
    assert.deepEqual(M.HEAPF32.slice(model.inputs[0].ptr / 4, model.inputs[0].ptr / 4 + INPUT.length), INPUT);
    assert.throws(() => model.run([]), (e) => e instanceof PlanError && e.code === 14);
    assert.throws(() => model.setInput(0, new Float32Array(3)), /expected a Float32Array of 24/);
    model.dispose();
  });

  test(`1000 forward calls: no allocation, flat memory; load/free leaks nothing (${variant})`, async () => {
    const M = MODULES[variant];
    const threads = variant === 'mt' ? [1, 2] : [1];
    for (const t of threads) {
      const model = loadPlan(M, VALID, { threads: t });
      model.setInput(0, INPUT);
      model.forward();
      const first = model.output(0);
      const start = model.memoryStats();
      for (let i = 0; i < 1000; i++) model.forward();
      const end = model.memoryStats();
      assert.equal(end.allocCalls, start.allocCalls, `malloc called during forward (threads ${t})`);
      assert.equal(end.wasmMemoryBytes, start.wasmMemoryBytes, 'wasm memory grew');
      assert.deepEqual(model.output(0), first);
      assert.equal(end.threads, t);
      model.dispose();
    }
    const heap = M._wt_heap_bytes_in_use();
    for (let i = 0; i < 50; i++) loadPlan(M, VALID).dispose();
    for (const name of Object.keys(EXPECTED))
      assert.throws(() => loadPlan(M, readFileSync(path.join(PLANS, name))), PlanError);
    assert.equal(M._wt_heap_bytes_in_use(), heap, 'load/free or a rejected plan leaked heap memory');
  });

  test(`profiling: one entry per step, shares sum to 1, still no allocation (${variant})`, async () => {
    const M = MODULES[variant];
    const model = loadPlan(M, VALID);
    const [want] = model.run([INPUT]);
    assert.throws(() => model.profile(), (e) => e instanceof PlanError && /profiling is off/.test(e.message));
    model.setProfiling(true);
    model.forward();
    const start = model.memoryStats();
    for (let i = 0; i < 100; i++) model.forward();
    const end = model.memoryStats();
    assert.equal(end.allocCalls, start.allocCalls, 'malloc called during a profiled forward');
    assert.equal(end.wasmMemoryBytes, start.wasmMemoryBytes, 'wasm memory grew');
    assert.deepEqual(model.output(0), want, 'profiling changed the outputs');
    const steps = model.profile();
    // valid_mlp: fc1 (linear+relu), fc2 (linear+clamp), a residual add, fc3
    assert.deepEqual(steps.map((s) => [s.op, s.label.split(' at ')[1], s.shape]),
      [['gemm', 'fc1', [3, 7]], ['gemm', 'fc2', [3, 7]], ['add', 'residual', [3, 7]],
        ['gemm', 'fc3', CASE.output_shape]]);
    for (const s of steps) assert.ok(s.ms >= 0 && s.share >= 0 && s.share <= 1, JSON.stringify(s));
    assert.ok(Math.abs(steps.reduce((sum, s) => sum + s.share, 0) - 1) < 1e-9, 'shares do not sum to 1');
    model.setProfiling(false);
    assert.deepEqual(model.run([INPUT])[0], want);
    model.dispose();
  });

  test(`hostile plans are rejected with their status and message (${variant})`, async () => {
    const M = MODULES[variant];
    for (const [name, want] of Object.entries(EXPECTED)) {
      const bytes = readFileSync(path.join(PLANS, name));
      assert.throws(() => loadPlan(M, bytes), (e) => {
        assert.ok(e instanceof PlanError, `${name}: ${e}`);
        assert.equal(e.code, want.status, `${name}: ${e.message}`);
        assert.ok(e.message.includes(want.message), `${name}: "${e.message}" lacks "${want.message}"`);
        return true;
      });
    }
  });

  test(`random re-signed mutations never trap (${variant})`, async () => {
    const M = MODULES[variant];
    const rand = rng(variant === 'st' ? 1 : 2);
    const weightsOff = new DataView(VALID.buffer, VALID.byteOffset).getUint32(64 + 44, true);
    let loaded = 0;
    for (let i = 0; i < 400; i++) {
      const bytes = new Uint8Array(VALID);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) {
        // mostly the tables (headers, values, ops, io, names), sometimes a weight
        const pos = 64 + Math.floor(rand() * ((rand() < 0.9 ? weightsOff : bytes.length) - 64));
        bytes[pos] = rand() < 0.5 ? Math.floor(rand() * 256) : bytes[pos] ^ (1 << Math.floor(rand() * 8));
      }
      const cut = rand() < 0.1 ? Math.floor(rand() * bytes.length) : bytes.length;
      const plan = resign(bytes.slice(0, Math.max(cut, 64)));
      let model;
      try {
        model = loadPlan(M, plan);
      } catch (e) {
        assert.ok(e instanceof PlanError && e.code > 0 && e.message.length > 0, `mutation ${i}: ${e}`);
        continue;
      }
      loaded++;
      model.run(model.inputs.map((io) => new Float32Array(io.bytes / 4).fill(0.5)));
      model.dispose();
    }
    assert.ok(loaded > 0 && loaded < 400, `${loaded} of 400 mutations loaded: expected some of each`);
  });
}

test('threads: the single-threaded variant refuses more than one; mt results equal threads 1', async () => {
  const { st, mt } = MODULES;
  assert.throws(() => loadPlan(st, VALID, { threads: 2 }), (e) => e.code === 13 && /single-threaded/.test(e.message));
  assert.throws(() => loadPlan(st, VALID, { threads: 0 }), (e) => e.code === 13);
  const one = loadPlan(mt, VALID);
  const want = one.run([INPUT])[0];
  one.dispose();
  // more threads than the 2 pre-started Workers: refused until prepareThreads starts more
  assert.throws(() => loadPlan(mt, VALID, { threads: 4 }), (e) => e.code === 13 && /prepareThreads/.test(e.message));
  await prepareThreads(mt, 5);
  for (const t of [2, 3, 5]) {
    const model = loadPlan(mt, VALID, { threads: t });
    assert.deepEqual(model.run([INPUT])[0], want, `threads ${t}`);
    model.dispose();
  }
  await prepareThreads(mt, 17);
  assert.throws(() => loadPlan(mt, VALID, { threads: 17 }), (e) => e.code === 13 && /1\.\.16/.test(e.message));
});
