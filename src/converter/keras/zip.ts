/**
 * A minimal reader for the zip archives Keras writes (`.keras`): central directory, stored and deflated entries.
 * Keras writes small, non-encrypted, single-disk archives, so ZIP64 and encryption are refused rather than handled.
 */
import { inflateRawSync } from 'node:zlib';
import { ConverterError } from '../../errors.js';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array, private readonly source: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.readCentralDirectory();
  }

  private fail(what: string): never {
    throw new ConverterError(`${this.source}: not a readable .keras zip archive (${what})`);
  }

  private readCentralDirectory(): Map<string, ZipEntry> {
    const v = this.view;
    // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
    let eocd = -1;
    for (let i = this.bytes.length - 22; i >= Math.max(0, this.bytes.length - 22 - 65535); i--) {
      if (v.getUint32(i, true) === EOCD_SIGNATURE) { eocd = i; break; }
    }
    if (eocd < 0) this.fail('no end-of-central-directory record');
    const count = v.getUint16(eocd + 10, true);
    const dirOffset = v.getUint32(eocd + 16, true);
    if (count === 0xffff || dirOffset === 0xffffffff) this.fail('ZIP64 archives are not supported');
    const entries = new Map<string, ZipEntry>();
    let p = dirOffset;
    const decoder = new TextDecoder();
    for (let i = 0; i < count; i++) {
      if (p + 46 > this.bytes.length || v.getUint32(p, true) !== CENTRAL_SIGNATURE) this.fail('corrupt central directory');
      const flags = v.getUint16(p + 8, true);
      const method = v.getUint16(p + 10, true);
      const compressedSize = v.getUint32(p + 20, true);
      const size = v.getUint32(p + 24, true);
      const nameLen = v.getUint16(p + 28, true);
      const extraLen = v.getUint16(p + 30, true);
      const commentLen = v.getUint16(p + 32, true);
      const localHeaderOffset = v.getUint32(p + 42, true);
      const name = decoder.decode(this.bytes.subarray(p + 46, p + 46 + nameLen));
      if (flags & 1) this.fail(`entry ${name} is encrypted`);
      entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) this.fail(`missing entry ${name}`);
    const v = this.view;
    const h = e.localHeaderOffset;
    if (h + 30 > this.bytes.length || v.getUint32(h, true) !== LOCAL_SIGNATURE) this.fail(`bad local header for ${name}`);
    const start = h + 30 + v.getUint16(h + 26, true) + v.getUint16(h + 28, true);
    const end = start + e.compressedSize;
    if (end > this.bytes.length) this.fail(`entry ${name} is truncated`);
    const raw = this.bytes.subarray(start, end);
    let out: Uint8Array;
    if (e.method === 0) out = raw;
    else if (e.method === 8) {
      try {
        out = new Uint8Array(inflateRawSync(raw));
      } catch (cause) {
        throw new ConverterError(`${this.source}: entry ${name} does not inflate`, { cause });
      }
    } else this.fail(`entry ${name} uses compression method ${e.method}`);
    if (out.length !== e.size) this.fail(`entry ${name} has ${out.length} bytes, expected ${e.size}`);
    return out;
  }
}
