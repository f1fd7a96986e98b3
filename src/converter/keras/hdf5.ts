/**
 * HDF5 access through h5wasm. h5wasm's Node build reads real files, so in-memory bytes (the weights inside a
 * `.keras` zip) go through a private temporary file that is removed when the handle closes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { ConverterError } from '../../errors.js';

export interface Hdf5Array {
  data: Float32Array;
  shape: number[];
}

type H5File = InstanceType<typeof h5wasm.File>;
type H5Entity = ReturnType<H5File['get']>;

export function isHdf5(bytes: Uint8Array): boolean {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length >= 8 && sig.every((b, i) => bytes[i] === b);
}

export class Hdf5Reader {
  private constructor(
    private readonly file: H5File,
    readonly source: string,
    private readonly tempDir: string | null,
  ) {}

  static async open(bytesOrPath: Uint8Array | string, source: string): Promise<Hdf5Reader> {
    await h5wasm.ready;
    let path: string;
    let tempDir: string | null = null;
    if (typeof bytesOrPath === 'string') path = bytesOrPath;
    else {
      if (!isHdf5(bytesOrPath)) throw new ConverterError(`${source}: not an HDF5 file`);
      tempDir = mkdtempSync(join(tmpdir(), 'lce-h5-'));
      path = join(tempDir, 'weights.h5');
      writeFileSync(path, bytesOrPath);
    }
    let file: H5File;
    try {
      file = new h5wasm.File(path, 'r');
    } catch (cause) {
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      throw new ConverterError(`${source}: HDF5 file cannot be opened`, { cause });
    }
    return new Hdf5Reader(file, source, tempDir);
  }

  close(): void {
    this.file.close();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }

  private entity(path: string): H5Entity {
    try {
      return this.file.get(path);
    } catch {
      return null;
    }
  }

  has(path: string): boolean {
    return this.entity(path) !== null;
  }

  /** Child names of a group, or [] when `path` is not a group. */
  keys(path: string): string[] {
    const e = this.entity(path);
    return e instanceof h5wasm.Group ? e.keys() : [];
  }

  /** A string (or list of strings) attribute, or undefined. */
  attr(path: string, name: string): string | string[] | undefined {
    const e = path === '/' ? this.file : this.entity(path);
    if (!e || !('attrs' in e)) return undefined;
    const a = e.attrs[name];
    if (!a) return undefined;
    const v = a.value;
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v.map((x) => String(x));
    if (v instanceof Uint8Array) return new TextDecoder().decode(v);
    return undefined;
  }

  /** A floating-point dataset as float32. */
  array(path: string): Hdf5Array {
    const e = this.entity(path);
    if (!(e instanceof h5wasm.Dataset)) throw new ConverterError(`${this.source}: missing weight dataset ${path}`);
    const v = e.value;
    const shape = e.shape ?? [];
    let data: Float32Array;
    if (v instanceof Float32Array) data = v;
    else if (v instanceof Float64Array || v instanceof Uint16Array) {
      if (v instanceof Uint16Array) throw new ConverterError(`${this.source}: ${path} is float16; convert the model to float32 first`);
      data = Float32Array.from(v);
    } else if (typeof v === 'number') data = Float32Array.of(v);
    else throw new ConverterError(`${this.source}: weight dataset ${path} is not floating point`);
    return { data, shape };
  }
}
