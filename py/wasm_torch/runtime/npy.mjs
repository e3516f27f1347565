// .npy files for the Node runners (runtime/node_runner.mjs, tests/node/run_plans.mjs): C-order,
// little-endian arrays of the plan dtypes (wtm.mjs DTYPES), v1/v2/v3 headers in, v1 out.
import { readFileSync, writeFileSync } from 'node:fs';
import { PlanError } from './wtm.mjs';

// .npy descr <-> plan dtype code (1 float32, 2 int64, 3 bool stored as one byte).
const DESCR_TO_CODE = Object.freeze({ '<f4': 1, '<i8': 2, '|b1': 3 });
const CODE_TO_DESCR = Object.freeze({ 1: '<f4', 2: '<i8', 3: '|b1' });
const TYPES = Object.freeze({ 1: Float32Array, 2: BigInt64Array, 3: Uint8Array });

export function readNpy(file) {
  const buf = readFileSync(file);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY')
    throw new PlanError(14, `${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  const Type = TYPES[DESCR_TO_CODE[descr]];
  if (Type === undefined || /'fortran_order':\s*True/.test(header) || shapeText === undefined)
    throw new PlanError(14, `${file}: expected a C-order little-endian float32, int64 or bool array, `
      + `header ${header.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (buf.length - start !== count * Type.BYTES_PER_ELEMENT)
    throw new PlanError(14, `${file}: ${buf.length - start} data bytes for shape [${shape}]`);
  const data = new Type(count);
  new Uint8Array(data.buffer).set(buf.subarray(start));
  return { shape, data };
}

// data: a typed array of the plan dtype `code`.
export function writeNpy(file, shape, data, code = 1) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${CODE_TO_DESCR[code]}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';  // data 64-byte aligned
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}
