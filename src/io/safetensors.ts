import { UserError, type Wording } from '../errors.js';

/** One float32 tensor. */
export interface Tensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The safetensors format (a u64 header length, a JSON header, the tensors); float32 tensors only. */
export function encodeSafetensors(tensors: Tensor[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so the tensor data starts 8-byte aligned, as the reference implementation does.
  const headerBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    // Copy through bytes: safetensors is little-endian, like every platform WebGPU runs on.
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** The fix for a model file this program cannot read, for every such error. */
export const modelFileFix: Wording = (n) => `give ${n('savedModel')}, or ${n('savedCheckpoint')}`;

/** Parses a safetensors file, checking every size against the real length before allocating. */
export function decodeSafetensors(
  bytes: Uint8Array,
  file: string,
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const fail = (what: string): never => {
    throw new UserError(
      (n) => `${file}: not a valid safetensors model file: ${what}; ${modelFileFix(n)}`,
      'savedModel',
    );
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for the header length`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > bytes.length - 8) fail(`header length ${headerLength} exceeds the file (${bytes.length} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    fail('the header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Object.values(value).some((v) => typeof v !== 'string')) {
        fail('__metadata__ must map names to strings');
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) fail(`tensor "${name}" has no description`);
    if (info.dtype !== 'F32') fail(`tensor "${name}" has dtype ${String(info.dtype)}; only F32 is supported`);
    const { shape, data_offsets: offsets } = info;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`tensor "${name}" has a bad shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor "${name}" has bad data_offsets`);
    }
    const [begin, end] = offsets as number[];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLength) fail(`tensor "${name}" lies outside the file's ${dataLength} data bytes`);
    if (end - begin !== count * 4)
      fail(`tensor "${name}" has ${end - begin} bytes for shape [${shape}] (${count * 4} expected)`);
    // Copy into a fresh, aligned array: the file's offsets need not be 4-byte aligned.
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { name, shape: shape as number[], data });
  }
  return { tensors, metadata };
}
