// .npy arrays in any JS environment (the Node runners, the page's .npy inputs): C-order,
// little-endian arrays of the plan dtypes (wtm.mjs DTYPES), v1/v2/v3 headers in, v1 out.
import { DTYPES as TYPES, PlanError } from './wtm.mjs';

// .npy descr <-> plan dtype code (wtm.mjs DTYPES: bool is one byte, float16 its binary16 bits).
const CODE_TO_DESCR = Object.freeze({ 1: '<f4', 2: '<i8', 3: '|b1', 4: '<i4', 5: '|u1', 6: '<f8', 7: '<f2' });
const DESCR_TO_CODE = Object.freeze(Object.fromEntries(Object.entries(CODE_TO_DESCR).map(([c, d]) => [d, Number(c)])));
const latin1 = (bytes) => String.fromCharCode(...bytes);

// bytes: a Uint8Array holding a whole .npy file; name: for messages. -> {shape, data, dtype code}
export function parseNpy(bytes, name) {
  if (bytes.length < 10 || latin1(bytes.subarray(0, 6)) !== '\x93NUMPY')
    throw new PlanError(14, `${name}: not a .npy file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerStart = major === 1 ? 10 : 12;
  const start = headerStart + (major === 1 ? view.getUint16(8, true) : view.getUint32(8, true));
  if (start > bytes.length) throw new PlanError(14, `${name}: truncated .npy header`);
  const header = latin1(bytes.subarray(headerStart, start));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  const code = DESCR_TO_CODE[descr];
  if (code === undefined || /'fortran_order':\s*True/.test(header) || shapeText === undefined)
    throw new PlanError(14, `${name}: expected a C-order little-endian array of a plan dtype, `
      + `header ${header.trim()}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const Type = TYPES[code];
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - start !== count * Type.BYTES_PER_ELEMENT)
    throw new PlanError(14, `${name}: ${bytes.length - start} data bytes for shape [${shape}]`);
  const data = new Type(count);
  new Uint8Array(data.buffer).set(bytes.subarray(start));
  return { shape, data, dtype: code };
}

// data: a typed array of the plan dtype `code` -> the .npy file's bytes.
export function encodeNpy(shape, data, code = 1) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${CODE_TO_DESCR[code]}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';  // data 64-byte aligned
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
