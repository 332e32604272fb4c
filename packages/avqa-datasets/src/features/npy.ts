import { float16ToNumber, numberToFloat16 } from './float16.js';
import { reorderFortran, type ShapedArray, shapeSize } from './shaped-array.js';

/**
 * The NumPy .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * "\x93NUMPY", major and minor version bytes, the header length (uint16 LE in 1.0, uint32
 * LE in 2.0 and 3.0), then a Python dict literal such as
 * {'descr': '<f4', 'fortran_order': False, 'shape': (60, 128), } padded with spaces and a
 * newline so the data starts on a 64-byte boundary. 3.0 only changes the header to UTF-8.
 */
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export type NpyFloatType = 'float16' | 'float32' | 'float64';

export interface NpyArray extends ShapedArray {
  /** The stored element type (the data is always returned as float32). */
  dtype: NpyFloatType;
  /** Byte order as stored. */
  littleEndian: boolean;
  /** Whether the file stored the data in Fortran order (it is returned in C order). */
  fortranOrder: boolean;
  version: 1 | 2 | 3;
}

const ITEM_SIZE: Record<NpyFloatType, number> = { float16: 2, float32: 4, float64: 8 };
const DTYPE_BY_CODE: Record<string, NpyFloatType> = { f2: 'float16', f4: 'float32', f8: 'float64' };
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** What a .npy header says about the data that follows it. */
export interface NpyHeader {
  dtype: NpyFloatType;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  version: 1 | 2 | 3;
  /** Offset of the first data byte in the file. */
  dataOffset: number;
  /** Bytes of data the shape and dtype call for. */
  dataByteLength: number;
}

/**
 * Parses the header at the start of `bytes` (which need not hold the data). Throws,
 * naming `source`, on a missing magic, an unsupported version or dtype, or a header cut short.
 */
export function parseNpyHeader(bytes: Uint8Array, source = '.npy data'): NpyHeader {
  const fail = (detail: string): never => {
    throw new Error(`${source}: ${detail}`);
  };
  if (bytes.length < 10 || MAGIC.some((byte, position) => bytes[position] !== byte)) {
    fail('not a .npy file (missing the \\x93NUMPY magic)');
  }
  const major = bytes[6] as number;
  if (major !== 1 && major !== 2 && major !== 3)
    fail(`unsupported .npy version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) fail('truncated before the header length');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (bytes.length < dataOffset)
    fail(
      `truncated header (${headerLength} bytes announced, ${bytes.length - 8 - lengthBytes} present)`,
    );
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(8 + lengthBytes, dataOffset),
  );

  const descr =
    /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1] ??
    fail(`header has no simple 'descr': ${header.trim()}`);
  const fortranText =
    /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1] ??
    fail(`header has no 'fortran_order': ${header.trim()}`);
  const shapeText =
    /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ??
    fail(`header has no 'shape': ${header.trim()}`);

  const order = descr[0] as string;
  const dtype = DTYPE_BY_CODE[descr.slice(1)];
  if (dtype === undefined || !'<>=|'.includes(order)) {
    fail(
      `unsupported dtype '${descr}' (supported: float16, float32, float64 as <f2 <f4 <f8 or big-endian >f2 >f4 >f8)`,
    );
  }
  const floatType = dtype as NpyFloatType;
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) =>
      /^\d+L?$/.test(part) ? Number.parseInt(part, 10) : fail(`bad shape (${shapeText})`),
    );
  return {
    dtype: floatType,
    littleEndian: order === '=' ? HOST_LITTLE_ENDIAN : order !== '>',
    fortranOrder: fortranText === 'True',
    shape,
    version: major as 1 | 2 | 3,
    dataOffset,
    dataByteLength: shapeSize(shape) * ITEM_SIZE[floatType],
  };
}

/** Throws unless a file of `fileLength` bytes holds exactly the data its header announces. */
export function checkNpyLength(header: NpyHeader, fileLength: number, source = '.npy data'): void {
  const available = fileLength - header.dataOffset;
  const what = `shape [${header.shape.join(', ')}] ${header.dtype}`;
  if (available < header.dataByteLength) {
    throw new Error(
      `${source}: truncated data: ${what} needs ${header.dataByteLength} bytes, file has ${available}`,
    );
  }
  if (available > header.dataByteLength) {
    throw new Error(
      `${source}: ${available - header.dataByteLength} bytes after the data of ${what} (corrupt file?)`,
    );
  }
}

/** Parses .npy bytes into float32 C-order data; `source` names the file in errors. */
export function parseNpy(bytes: Uint8Array, source = '.npy data'): NpyArray {
  const header = parseNpyHeader(bytes, source);
  checkNpyLength(header, bytes.length, source);
  const stored = decodeNpyValues(bytes.subarray(header.dataOffset), header);
  const { dtype, littleEndian, fortranOrder, shape, version } = header;
  return {
    data: fortranOrder ? reorderFortran(stored, shape, 'fortran-to-c') : stored,
    shape,
    dtype,
    littleEndian,
    fortranOrder,
    version,
  };
}

/** Stored values (any dtype and byte order of `header`) as float32, in storage order. */
export function decodeNpyValues(
  data: Uint8Array,
  header: Pick<NpyHeader, 'dtype' | 'littleEndian'>,
): Float32Array {
  const { dtype, littleEndian } = header;
  const size = Math.floor(data.length / ITEM_SIZE[dtype]);
  if (dtype === 'float32' && littleEndian === HOST_LITTLE_ENDIAN) {
    // One copy of the bytes (a memcpy), aligned whatever the source offset. Not
    // data.slice(): on a Node Buffer that is a view into a shared pool, not a copy.
    const copy = new Uint8Array(size * 4);
    copy.set(data.subarray(0, size * 4));
    return new Float32Array(copy.buffer);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(size);
  if (dtype === 'float16') {
    const halves = float16Table();
    for (let index = 0; index < size; index += 1)
      out[index] = halves[view.getUint16(2 * index, littleEndian)] as number;
  } else if (dtype === 'float32') {
    for (let index = 0; index < size; index += 1)
      out[index] = view.getFloat32(4 * index, littleEndian);
  } else {
    for (let index = 0; index < size; index += 1)
      out[index] = view.getFloat64(8 * index, littleEndian);
  }
  return out;
}

let halfValues: Float32Array | undefined;

/** All 65,536 half-precision values, built on first use: a lookup beats decoding each one. */
function float16Table(): Float32Array {
  if (halfValues === undefined) {
    halfValues = new Float32Array(0x10000);
    for (let bits = 0; bits < 0x10000; bits += 1) halfValues[bits] = float16ToNumber(bits);
  }
  return halfValues;
}

export interface EncodeNpyOptions {
  /** Element type written (default 'float32'). */
  dtype?: NpyFloatType;
  /** Default true (what numpy writes on every common machine). */
  littleEndian?: boolean;
  /** Write column-major data with fortran_order True (default false). */
  fortranOrder?: boolean;
  /** Header version; default 1, or 2 when the header does not fit in 1.0's 65,535 bytes. */
  version?: 1 | 2 | 3;
}

/** Serialises C-order float data as a .npy file (the inverse of `parseNpy`). */
export function encodeNpy(array: ShapedArray, options: EncodeNpyOptions = {}): Uint8Array {
  const { data, shape } = array;
  if (shape.some((dimension) => !Number.isInteger(dimension) || dimension < 0)) {
    throw new Error(`encodeNpy: shape [${shape.join(', ')}] must hold non-negative integers`);
  }
  if (shapeSize(shape) !== data.length) {
    throw new Error(
      `encodeNpy: shape [${shape.join(', ')}] holds ${shapeSize(shape)} values, data has ${data.length}`,
    );
  }
  const dtype = options.dtype ?? 'float32';
  const littleEndian = options.littleEndian ?? true;
  const fortranOrder = options.fortranOrder ?? false;
  const code = dtype === 'float16' ? 'f2' : dtype === 'float32' ? 'f4' : 'f8';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${littleEndian ? '<' : '>'}${code}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const dictBytes = new TextEncoder().encode(dict);
  let version = options.version ?? 1;
  if (version === 1 && dictBytes.length + 12 > 0xffff) version = 2;
  const prefixLength = version === 1 ? 10 : 12;
  const headerLength = Math.ceil((prefixLength + dictBytes.length + 1) / 64) * 64 - prefixLength;
  const itemSize = ITEM_SIZE[dtype];
  const out = new Uint8Array(prefixLength + headerLength + data.length * itemSize);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  if (version === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  out.set(dictBytes, prefixLength);
  out.fill(0x20, prefixLength + dictBytes.length, prefixLength + headerLength - 1);
  out[prefixLength + headerLength - 1] = 0x0a;
  const values = fortranOrder ? reorderFortran(data, shape, 'c-to-fortran') : data;
  const dataOffset = prefixLength + headerLength;
  if (dtype === 'float32' && littleEndian === HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), dataOffset);
    return out;
  }
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index] as number;
    if (dtype === 'float16')
      view.setUint16(dataOffset + 2 * index, numberToFloat16(value), littleEndian);
    else if (dtype === 'float32') view.setFloat32(dataOffset + 4 * index, value, littleEndian);
    else view.setFloat64(dataOffset + 8 * index, value, littleEndian);
  }
  return out;
}
