/**
 * THE wasm boundary: the only module that touches the kernels' exports. It picks the build (SIMD128 or scalar,
 * by feature detection), owns the WebAssembly.Memory (optionally shared, for worker threads), hands out arena
 * space for weights and activations, and wraps every kernel in a typed function taking byte offsets.
 * File access stays behind a KernelLoader, so this module is browser-safe; node-loader.ts reads build/.
 * A worker instantiates the same WebAssembly.Module on the same shared memory (`instantiateOn`) and runs a row
 * range of a prepared convolution through `runBconv2dRows`.
 */
import type { Bconv2dGeometry, BconvOutputTransform } from '../reference/bconv2d.js';
import { LimitError, OpPrepareError } from '../errors.js';
import { hasFusedRelaxedMadd, hasWasmSimd, hasX86Swizzle } from './features.js';
import {
  type BgemmVariant, type Isa, BGEMM_VARIANTS, bgemmVariant, preferredBgemm,
} from './variants.js';
import { type F32GemmVariant, PREFERRED_F32_GEMM, f32GemmVariant } from './variants.js';
import type { Conv2DGeometry } from '../reference/conv2d.js';
import type { DepthwiseConv2DGeometry } from '../reference/depthwise-conv2d.js';
import type { FullyConnectedGeometry } from '../reference/fully-connected.js';
import type { Pool2DGeometry } from '../reference/pool2d.js';

export type KernelBuild = 'simd' | 'scalar' | 'simd-fma' | 'simd-shared' | 'scalar-shared' | 'simd-fma-shared';

export interface KernelLoader {
  /** Bytes (or a compiled module) of build/kernels-<build>.wasm. */
  load(build: KernelBuild): Promise<BufferSource | WebAssembly.Module>;
}

/** Browser loader: fetch the builds from a base URL (e.g. new URL('./build/', import.meta.url)). */
export function fetchKernelLoader(base: string | URL): KernelLoader {
  return {
    async load(build: KernelBuild): Promise<WebAssembly.Module> {
      const res = await fetch(new URL(`kernels-${build}.wasm`, base));
      if (!res.ok) throw new Error(`cannot fetch kernels-${build}.wasm: HTTP ${res.status}`);
      return WebAssembly.compile(await res.arrayBuffer());
    },
  };
}

export interface LoadOptions {
  loader: KernelLoader;
  /** Force a build; default: wasmsimd when WebAssembly.validate accepts SIMD128, else scalar. */
  isa?: Isa;
  /**
   * With wasmsimd: the relaxed-SIMD build (float GEMM tiles do one f32x4.relaxed_madd per depth step instead of
   * emulating the fused multiply-add in f64x2). Default: when hasFusedRelaxedMadd(); forcing it where relaxed_madd
   * is not fused gives results that differ from the reference.
   */
  fma?: boolean;
  /** Use shared memory (needs SharedArrayBuffer); selects the *-shared builds. */
  shared?: boolean;
  /** Initial memory in 64 KiB pages. */
  initialPages?: number;
  /** Upper bound on memory in 64 KiB pages (arena growth past it is a LimitError). */
  maximumPages?: number;
}

type Ptr = number;
type KernelFn = (...args: number[]) => number | void;

const PAGE = 65536;
const ALIGN = 64;
/** Descriptor fields (i32 index); mirrors src/kernels/b1_desc.ts. */
const D = {
  INPUT: 0, BATCH: 1, IN_H: 2, IN_W: 3, IN_WORDS: 4, OUT_H: 5, OUT_W: 6, FH: 7, FW: 8, SH: 9, SW: 10, DH: 11,
  DW: 12, PAD_TOP: 13, PAD_LEFT: 14, GROUPS: 15, WORDS_PER_GROUP: 16, K_WORDS: 17, CH_OUT: 18,
  CH_OUT_PER_GROUP: 19, N_PADDED: 20, WEIGHTS: 21, OUT_KIND: 22, OUT: 23, M_PRIME: 24, B_PRIME: 25,
  CLAMP_LO: 26, CLAMP_HI: 27, THRESHOLDS: 28, CORRECTION: 29, BLOCK_ROWS: 30, DIRECT: 31, A_STRIDE: 32, STACKED: 33,
} as const;
const DESC_WORDS = 34;
export const OutKind = { F32: 0, I8: 1, BITS: 2, ACCUM: 3 } as const;
export type OutKindName = 'f32' | 'i8' | 'bits' | 'accum';
const OUT_KIND_CODE: Record<OutKindName, number> = { f32: 0, i8: 1, bits: 2, accum: 3 };
/** Target size of one im2col block (L2-friendly), in bytes. */
const BLOCK_BYTES = 32 * 1024;

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Packs an OHWI bitpacked filter for a binary GEMM variant: per group, channel blocks of NR, each [kSteps][NR][step]. */
export function packBgemmWeights(
  filter: Int32Array, channelsOut: number, taps: number, wordsPerGroup: number, groups: number, v: BgemmVariant,
): { words: Int32Array; kWords: number; nPadded: number } {
  const kReal = taps * wordsPerGroup;
  // rows are padded to the tile's K step (word-grain tiles: none; two-word tiles: an even count; the others: 4 words)
  const kWords = align(kReal, v.stepWords);
  const perGroup = channelsOut / groups;
  const nPadded = align(perGroup, v.nr);
  const words = new Int32Array(groups * nPadded * kWords);
  const step = v.stepWords;
  for (let g = 0; g < groups; g++) {
    for (let n = 0; n < perGroup; n++) {
      const o = g * perGroup + n;
      const block = g * nPadded * kWords + Math.floor(n / v.nr) * v.nr * kWords;
      const lane = n % v.nr;
      for (let k = 0; k < kReal; k++) {
        words[block + Math.floor(k / step) * v.nr * step + lane * step + (k % step)] = filter[o * kReal + k]!;
      }
    }
  }
  return { words, kWords, nPadded };
}

/** An OHWI filter (one group) in O, W, H, I order: stacked mode's K order (kx, ky, word). */
function kxMajorFilter(filter: Int32Array, g: Bconv2dGeometry): Int32Array {
  const fh = g.filterHeight, fw = g.filterWidth, words = g.wordsPerGroup;
  const out = new Int32Array(filter.length);
  for (let o = 0; o < g.channelsOut; o++) {
    for (let ky = 0; ky < fh; ky++) {
      for (let kx = 0; kx < fw; kx++) {
        const from = ((o * fh + ky) * fw + kx) * words, to = ((o * fw + kx) * fh + ky) * words;
        out.set(filter.subarray(from, from + words), to);
      }
    }
  }
  return out;
}

/** What a prepared binary convolution needs at eval: its descriptor and per-thread scratch, all in wasm memory. */
export interface Bconv2dPlan {
  readonly variant: BgemmVariant;
  /** Output rows = batch · outH · outW; threads split [0, rows). */
  readonly rows: number;
  readonly desc: Ptr;
  readonly scratchBytes: number;
  /** Scratch for thread t starts at scratch + t·scratchBytes. */
  readonly scratch: Ptr;
  readonly threads: number;
  /** Stacked mode (rows read in place from stacked input rows) rather than im2col. */
  readonly stacked: boolean;
}

export interface Bconv2dSetup {
  geometry: Bconv2dGeometry;
  /** OHWI bitpacked filter [channelsOut][fh][fw][wordsPerGroup]. */
  filter: Int32Array;
  output: OutKindName;
  /** Folded transform (reference foldOutputTransform) for f32/i8 output. */
  transform?: BconvOutputTransform;
  /** Per-channel thresholds for bitpacked output. */
  thresholds?: Int32Array;
  /** Where input and output live (set per eval with setBconv2dIo if not known yet). */
  input?: Ptr;
  out?: Ptr;
  /** Scratch copies for this many threads (default 1). */
  threads?: number;
  /** Override the build's preferred GEMM variant (tests, benchmarks). */
  variant?: string;
  /** Use im2col even where stacked mode applies (tests, benchmarks). */
  im2col?: boolean;
}

export class WasmKernels {
  readonly isa: Isa;
  readonly build: KernelBuild;
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  private readonly fn: Record<string, KernelFn>;
  private top: number;
  private readonly base: number;
  private readonly maxBytes: number;

  private constructor(isa: Isa, build: KernelBuild, module: WebAssembly.Module, memory: WebAssembly.Memory,
    instance: WebAssembly.Instance, maximumPages: number) {
    this.isa = isa;
    this.build = build;
    this.module = module;
    this.memory = memory;
    this.fn = instance.exports as unknown as Record<string, KernelFn>;
    this.base = align(this.call('kernels_heap_base') as number, ALIGN);
    this.top = this.base;
    this.maxBytes = maximumPages * PAGE;
  }

  static async load(opts: LoadOptions): Promise<WasmKernels> {
    const isa: Isa = opts.isa ?? (hasWasmSimd() ? 'wasmsimd' : 'scalar');
    const shared = opts.shared ?? false;
    const fma = isa === 'wasmsimd' && (opts.fma ?? hasFusedRelaxedMadd());
    const build: KernelBuild = `${isa === 'wasmsimd' ? (fma ? 'simd-fma' : 'simd') : 'scalar'}${shared ? '-shared' : ''}`;
    const src = await opts.loader.load(build);
    const module = src instanceof WebAssembly.Module ? src : await WebAssembly.compile(src);
    const maximumPages = opts.maximumPages ?? 32768;
    const memory = new WebAssembly.Memory({ initial: opts.initialPages ?? 16, maximum: maximumPages, shared });
    return WasmKernels.instantiateOn(module, memory, isa, build, maximumPages);
  }

  /** Instantiate a module on an existing memory (a worker on the shared memory of the main thread). */
  static async instantiateOn(module: WebAssembly.Module, memory: WebAssembly.Memory, isa: Isa, build: KernelBuild,
    maximumPages = 32768): Promise<WasmKernels> {
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new WasmKernels(isa, build, module, memory, instance, maximumPages);
  }

  has(name: string): boolean {
    return typeof this.fn[name] === 'function';
  }

  /** Call an export by name (the float-kernel wrappers at the end of this file go through it). */
  invoke(name: string, ...args: number[]): number | void {
    return this.call(name, ...args);
  }

  private call(name: string, ...args: number[]): number | void {
    const f = this.fn[name];
    if (!f) throw new Error(`kernel ${name} is not in the ${this.build} build`);
    return f(...args);
  }

  // ---- memory ------------------------------------------------------------------------------------------------

  /** Bump-allocate `bytes` (64-byte aligned), growing memory as needed. */
  alloc(bytes: number): Ptr {
    const p = align(this.top, ALIGN);
    const end = p + Math.max(bytes, 0);
    if (end > this.maxBytes) throw new LimitError(`wasm arena: ${end} bytes exceed the ${this.maxBytes}-byte maximum`);
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    return p;
  }

  /** Current arena top; `release(mark)` frees everything allocated after it. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    if (mark < this.base || mark > this.top) throw new Error('arena release to a mark outside the arena');
    this.top = mark;
  }

  // Views are recreated per call: memory growth detaches old ArrayBuffers.
  f32(p: Ptr, n: number): Float32Array { return new Float32Array(this.memory.buffer, p, n); }
  i32(p: Ptr, n: number): Int32Array { return new Int32Array(this.memory.buffer, p, n); }
  i8(p: Ptr, n: number): Int8Array { return new Int8Array(this.memory.buffer, p, n); }
  u8(p: Ptr, n: number): Uint8Array { return new Uint8Array(this.memory.buffer, p, n); }

  /** Copy a typed array into fresh arena space; returns its offset. `padBytes` extra zero bytes follow it. */
  put(data: Float32Array | Int32Array | Int8Array | Uint8Array, padBytes = 0): Ptr {
    const p = this.alloc(data.byteLength + padBytes);
    this.u8(p, data.byteLength + padBytes).fill(0);
    this.u8(p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return p;
  }

  // ---- bitpacking ---------------------------------------------------------------------------------------------

  packF32(src: Ptr, rows: number, channels: number, dst: Ptr, variant?: string): void {
    this.call(variant ?? (this.isa === 'wasmsimd' ? 'b1_pack_f32__wasmsimd' : 'b1_pack_f32__scalar'), src, rows, channels, dst);
  }

  packI8(src: Ptr, rows: number, channels: number, zeroPoint: number, dst: Ptr, variant?: string): void {
    const zp = Math.max(-129, Math.min(128, zeroPoint)); // beyond int8 every comparison is decided already
    this.call(variant ?? (this.isa === 'wasmsimd' ? 'b1_pack_i8__wasmsimd' : 'b1_pack_i8__scalar'), src, rows, channels, zp, dst);
  }

  /** LceDequantize to float32 (±1). */
  unpackF32(src: Ptr, rows: number, channels: number, dst: Ptr): void {
    this.call('b1_unpack_f32__scalar', src, rows, channels, dst);
  }

  /** LceDequantize to int8 (codes for bit 0 and bit 1) or bool (1 and 0). */
  unpackI8(src: Ptr, rows: number, channels: number, zeroBit: number, oneBit: number, dst: Ptr): void {
    this.call('b1_unpack_i8__scalar', src, rows, channels, zeroBit, oneBit, dst);
  }

  bmaxpool2d(g: {
    batch: number; inHeight: number; inWidth: number; words: number; outHeight: number; outWidth: number;
    filterHeight: number; filterWidth: number; strideHeight: number; strideWidth: number; padTop: number; padLeft: number;
  }, src: Ptr, dst: Ptr): void {
    this.call('b1_bmaxpool2d__scalar', src, g.batch, g.inHeight, g.inWidth, g.words, g.outHeight, g.outWidth,
      g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.padTop, g.padLeft, dst);
  }

  // ---- binary convolution -------------------------------------------------------------------------------------

  /** Prepare time: pack weights for the chosen GEMM tile, write the descriptor, reserve scratch. */
  prepareBconv2d(s: Bconv2dSetup): Bconv2dPlan {
    const g = s.geometry;
    const variant = bgemmVariant(s.variant ?? preferredBgemm(this.isa, hasX86Swizzle()));
    if (!this.has(variant.conv)) throw new OpPrepareError(`${variant.conv} is not in the ${this.build} build`);
    const taps = g.filterHeight * g.filterWidth;
    const direct = g.groups === 1 && taps === 1 && g.strideHeight === 1 && g.strideWidth === 1
      && g.inHeight === g.outHeight && g.inWidth === g.outWidth && g.inWords % variant.stepWords === 0;
    // Stacked mode (b1_bconv2d.ts stackedRows): a window is fw adjacent pixels of fh stacked input rows, K words in
    // (kx, ky, word) order that the tile reads in place; K must be whole steps, since no zero words pad it there. The
    // tile runs once per output row, so a width that is not whole tiles would repeat rows (7x7x512 with the 2-row tile:
    // 0.573 → 0.652 ms). Measured (interleaved min of 100 rounds, 3 runs, hybrid 2x8, im2col vs stacked): QuickNet's
    // 56x56x64 0.716 vs 0.690 ms, 28x28x128 0.596 vs 0.589, 14x14x256 0.590 vs 0.587; the 1x16 tile 0.98 vs 0.96,
    // 0.89 vs 0.87, 0.84 vs 0.84 (7x7x512: 0.82 both). Reading the fh runs of the input in place through a per-row
    // [address, stride] table instead (no copy; im2col only for border rows) lost: 0.72 → 0.79 ms on 56x56x64, the
    // tile's run-by-run loop costing more than the copy it saved.
    const stacked = !s.im2col && !direct && taps > 1 && g.groups === 1 && g.dilationWidth === 1
      && (taps * g.inWords) % variant.stepWords === 0 && g.outWidth % variant.mr === 0;
    const packed = packBgemmWeights(stacked ? kxMajorFilter(s.filter, g) : s.filter, g.channelsOut, taps,
      g.wordsPerGroup, g.groups, variant);
    const padded = align(g.channelsOut, 8) + 8;
    const sameZero = g.padMode === 'same-zero';
    if (sameZero && s.output !== 'f32') {
      throw new OpPrepareError('LceBconv2d: same-zero padding needs float output in the optimized kernel');
    }
    const d = new Int32Array(DESC_WORDS);
    d[D.BATCH] = g.batch; d[D.IN_H] = g.inHeight; d[D.IN_W] = g.inWidth; d[D.IN_WORDS] = g.inWords;
    d[D.OUT_H] = g.outHeight; d[D.OUT_W] = g.outWidth; d[D.FH] = g.filterHeight; d[D.FW] = g.filterWidth;
    d[D.SH] = g.strideHeight; d[D.SW] = g.strideWidth; d[D.DH] = g.dilationHeight; d[D.DW] = g.dilationWidth;
    d[D.PAD_TOP] = g.padMode === 'valid' ? 0 : g.padTop; d[D.PAD_LEFT] = g.padMode === 'valid' ? 0 : g.padLeft;
    d[D.GROUPS] = g.groups; d[D.WORDS_PER_GROUP] = g.wordsPerGroup; d[D.K_WORDS] = packed.kWords;
    d[D.CH_OUT] = g.channelsOut; d[D.CH_OUT_PER_GROUP] = g.channelsOut / g.groups; d[D.N_PADDED] = packed.nPadded;
    d[D.OUT_KIND] = OUT_KIND_CODE[s.output];
    d[D.WEIGHTS] = this.put(packed.words);
    if (s.output === 'f32' || s.output === 'i8') {
      const t = s.transform;
      if (!t) throw new OpPrepareError('LceBconv2d: float/int8 output needs the folded output transform');
      d[D.M_PRIME] = this.put(t.multiplier.subarray(0, g.channelsOut), padded * 4 - g.channelsOut * 4);
      d[D.B_PRIME] = this.put(t.bias.subarray(0, g.channelsOut), padded * 4 - g.channelsOut * 4);
      d[D.CLAMP_LO] = Math.max(-2147483648, t.clampMin);
      d[D.CLAMP_HI] = Math.min(2147483647, t.clampMax);
      if (sameZero) d[D.CORRECTION] = this.put(sameZeroCorrection(g, s.filter, t.multiplier));
    } else if (s.output === 'bits') {
      if (!s.thresholds) throw new OpPrepareError('LceBconv2d: bitpacked output needs thresholds');
      d[D.THRESHOLDS] = this.put(s.thresholds.subarray(0, g.channelsOut), padded * 4 - g.channelsOut * 4);
    }
    const kBytes = packed.kWords * 4;
    d[D.DIRECT] = direct ? 1 : 0;
    d[D.STACKED] = stacked ? 1 : 0;
    const entryBytes = g.filterHeight * g.inWords * 4;
    d[D.A_STRIDE] = stacked ? g.strideWidth * entryBytes : kBytes;
    d[D.BLOCK_ROWS] = Math.max(variant.mr, Math.floor(BLOCK_BYTES / kBytes / variant.mr) * variant.mr);
    const threads = s.threads ?? 1;
    // stacked mode: one output row's padded columns of stacked taps
    const scratchBytes = align(stacked ? ((g.outWidth - 1) * g.strideWidth + g.filterWidth) * entryBytes
      : d[D.BLOCK_ROWS]! * kBytes, ALIGN);
    const scratch = this.alloc(scratchBytes * threads);
    const desc = this.put(d);
    const plan: Bconv2dPlan = {
      variant, rows: g.batch * g.outHeight * g.outWidth, desc, scratch, scratchBytes, threads, stacked,
    };
    if (s.input !== undefined && s.out !== undefined) this.setBconv2dIo(plan, s.input, s.out);
    return plan;
  }

  /** Point a prepared convolution at its input and output (arena offsets). */
  setBconv2dIo(plan: Bconv2dPlan, input: Ptr, out: Ptr): void {
    const d = this.i32(plan.desc, DESC_WORDS);
    d[D.INPUT] = input;
    d[D.OUT] = out;
  }

  /** Run output rows [m0, m1) of a prepared convolution using thread `thread`'s scratch. */
  runBconv2dRows(plan: Bconv2dPlan, m0 = 0, m1 = plan.rows, thread = 0): void {
    this.call(plan.variant.conv, plan.desc, m0, m1, plan.scratch + thread * plan.scratchBytes);
  }

  /**
   * The GEMM tile loop alone (benchmarks, tests): `rows` rows of kWords words at `a` times the plan's packed
   * weights (group 0), output per the plan's descriptor from row mBase. Not for stacked plans (their rows overlap).
   */
  runBgemm(plan: Bconv2dPlan, a: Ptr, rows: number, mBase = 0): void {
    if (plan.stacked) throw new Error('runBgemm: a stacked plan reads overlapping rows, not an im2col matrix');
    this.call(plan.variant.name, plan.desc, a, rows, mBase, 0);
  }

  /** Packed words per im2col row of a plan (K padded to the tile's step: 1, 2 or 4 words). */
  bconv2dKWords(plan: Bconv2dPlan): number {
    return this.i32(plan.desc, DESC_WORDS)[D.K_WORDS]!;
  }
}

/**
 * Same-zero correction table corr[tap][o] = −multiplier[o]·Σc w[o,tap,c] in folded form: m'[o]·(Cg − 2·popcount),
 * with m' = −multiplier (float output). Added after the transform to pixels whose window leaves the image.
 */
export function sameZeroCorrection(g: Bconv2dGeometry, filter: Int32Array, foldedMultiplier: Float32Array): Float32Array {
  const taps = g.filterHeight * g.filterWidth;
  const corr = new Float32Array(taps * g.channelsOut);
  for (let o = 0; o < g.channelsOut; o++) {
    for (let t = 0; t < taps; t++) {
      let pc = 0;
      for (let w = 0; w < g.wordsPerGroup; w++) {
        let x = filter[(o * taps + t) * g.wordsPerGroup + w]! >>> 0;
        while (x) { x &= x - 1; pc++; }
      }
      corr[t * g.channelsOut + o] = foldedMultiplier[o]! * (g.channelsPerGroup - 2 * pc);
    }
  }
  return corr;
}

export { BGEMM_VARIANTS };

// ================================================================================================================
// Float kernels: CONV_2D / FULLY_CONNECTED (packed, register-blocked GEMM), DEPTHWISE_CONV_2D, MAX/AVERAGE_POOL_2D,
// ADD / MUL, MEAN over H,W. Same conventions as the binary section: prepare packs weights and writes a descriptor
// into wasm memory, eval runs a row range [m0, m1) (a row = one output pixel) with per-thread scratch.
// ================================================================================================================

/** Float descriptor fields (i32 index); mirrors src/kernels/f32_desc.ts. CLAMP_LO/HI hold f32 bits. */
const F = {
  INPUT: 0, BATCH: 1, IN_H: 2, IN_W: 3, IN_C: 4, OUT_H: 5, OUT_W: 6, FH: 7, FW: 8, SH: 9, SW: 10, DH: 11, DW: 12,
  PAD_TOP: 13, PAD_LEFT: 14, K: 15, CH_OUT: 16, N_PADDED: 17, WEIGHTS: 18, BIAS: 19, OUT: 20, CLAMP_LO: 21,
  CLAMP_HI: 22, BLOCK_ROWS: 23, DIRECT: 24, DEPTH_MULT: 25,
} as const;
const F_DESC_WORDS = 32;
/** Target size of one float im2col block (per thread), in bytes. */
const F32_BLOCK_BYTES = 32 * 1024;

/** Packs an [n][k] row-major matrix (OHWI filter, FC weights) into panels of nr rows, each [k][nr], zero-padded. */
export function packF32GemmWeights(w: Float32Array, n: number, k: number, nr: number): { panels: Float32Array; nPadded: number } {
  const nPadded = align(n, nr);
  const panels = new Float32Array(nPadded * k);
  for (let o = 0; o < n; o++) {
    const panel = Math.floor(o / nr) * nr * k;
    const lane = o % nr;
    for (let i = 0; i < k; i++) panels[panel + i * nr + lane] = w[o * k + i]!;
  }
  return { panels, nPadded };
}

/** A prepared float CONV_2D / FULLY_CONNECTED: descriptor, packed weights and per-thread im2col scratch. */
export interface F32GemmPlan {
  readonly variant: F32GemmVariant;
  /** Output rows = batch · outH · outW (FULLY_CONNECTED: batches); threads split [0, rows). */
  readonly rows: number;
  readonly desc: Ptr;
  readonly scratchBytes: number;
  /** Scratch for thread t starts at scratch + t·scratchBytes (0 bytes in direct mode). */
  readonly scratch: Ptr;
  readonly threads: number;
}

interface F32Common {
  /** Fused activation clamp (±Infinity for none). */
  actMin: number;
  actMax: number;
  /** Where input and output live (or set per eval with setF32Io). */
  input?: Ptr;
  out?: Ptr;
}

export interface F32Conv2dSetup extends F32Common {
  geometry: Conv2DGeometry;
  /** OHWI filter [outC][fh][fw][inC]. */
  filter: Float32Array;
  bias: Float32Array | null;
  /** Scratch copies for this many threads (default 1). */
  threads?: number;
  /** Override the build's preferred GEMM variant (tests, benchmarks). */
  variant?: string;
}

export interface F32FullyConnectedSetup extends F32Common {
  geometry: FullyConnectedGeometry;
  /** [outDepth][inDepth]. */
  weights: Float32Array;
  bias: Float32Array | null;
  threads?: number;
  variant?: string;
}

function f32Desc(): { d: Int32Array; f: Float32Array } {
  const d = new Int32Array(F_DESC_WORDS);
  return { d, f: new Float32Array(d.buffer) };
}

function requirePositive(op: string, fields: Record<string, number>): void {
  for (const [name, v] of Object.entries(fields)) {
    if (!Number.isInteger(v) || v < 1) throw new OpPrepareError(`${op}: ${name} must be a positive integer, got ${v}`);
  }
}

function putBias(w: WasmKernels, bias: Float32Array | null, n: number, padded: number, op: string): Ptr {
  const b = new Float32Array(padded);
  if (bias) {
    if (bias.length < n) throw new OpPrepareError(`${op}: bias has ${bias.length} values; expected ${n}`);
    b.set(bias.subarray(0, n));
  }
  return w.put(b);
}

function prepareF32Gemm(w: WasmKernels, op: string, d: Int32Array, f: Float32Array, weights: Float32Array,
  bias: Float32Array | null, s: F32Common & { threads?: number; variant?: string }): F32GemmPlan {
  const variant = f32GemmVariant(s.variant ?? PREFERRED_F32_GEMM[w.isa]);
  if (!w.has(variant.conv)) throw new OpPrepareError(`${variant.conv} is not in the ${w.build} build`);
  const n = d[F.CH_OUT]!, k = d[F.K]!;
  if (weights.length < n * k) throw new OpPrepareError(`${op}: weights have ${weights.length} values; expected ${n * k}`);
  const packed = packF32GemmWeights(weights, n, k, variant.nr);
  d[F.N_PADDED] = packed.nPadded;
  d[F.WEIGHTS] = w.put(packed.panels);
  d[F.BIAS] = putBias(w, bias, n, packed.nPadded, op);
  f[F.CLAMP_LO] = s.actMin;
  f[F.CLAMP_HI] = s.actMax;
  const kBytes = k * 4;
  d[F.BLOCK_ROWS] = Math.max(variant.mr, Math.floor(F32_BLOCK_BYTES / kBytes / variant.mr) * variant.mr);
  const threads = s.threads ?? 1;
  // im2col rows, or (dilation-1 widths) fh window-row pointers per row then im2col copies of rows at the border
  const scratchBytes = d[F.DIRECT] ? 0 : align(d[F.BLOCK_ROWS]! * (kBytes + d[F.FH]! * 4) + 16, ALIGN);
  const scratch = w.alloc(scratchBytes * threads);
  const desc = w.put(d);
  const plan: F32GemmPlan = { variant, rows: d[F.BATCH]! * d[F.OUT_H]! * d[F.OUT_W]!, desc, scratch, scratchBytes, threads };
  if (s.input !== undefined && s.out !== undefined) setF32Io(w, plan, s.input, s.out);
  return plan;
}

/** Prepare time for float CONV_2D (one group): pack the filter for the chosen tile, write the descriptor, reserve scratch. */
export function prepareF32Conv2d(w: WasmKernels, s: F32Conv2dSetup): F32GemmPlan {
  const g = s.geometry;
  requirePositive('CONV_2D', {
    batch: g.batch, inH: g.inH, inW: g.inW, inC: g.inC, outH: g.outH, outW: g.outW, outC: g.outC,
    filterH: g.filterH, filterW: g.filterW, strideH: g.strideH, strideW: g.strideW, dilationH: g.dilationH, dilationW: g.dilationW,
  });
  if (g.filterC !== g.inC) {
    throw new OpPrepareError(`CONV_2D: grouped convolution (filter depth ${g.filterC}, input depth ${g.inC}) has no fast float kernel`);
  }
  const { d, f } = f32Desc();
  d[F.BATCH] = g.batch; d[F.IN_H] = g.inH; d[F.IN_W] = g.inW; d[F.IN_C] = g.inC;
  d[F.OUT_H] = g.outH; d[F.OUT_W] = g.outW; d[F.FH] = g.filterH; d[F.FW] = g.filterW;
  d[F.SH] = g.strideH; d[F.SW] = g.strideW; d[F.DH] = g.dilationH; d[F.DW] = g.dilationW;
  d[F.PAD_TOP] = g.padTop; d[F.PAD_LEFT] = g.padLeft;
  d[F.K] = g.filterH * g.filterW * g.inC; d[F.CH_OUT] = g.outC;
  d[F.DIRECT] = g.filterH === 1 && g.filterW === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0
    && g.padLeft === 0 && g.inH === g.outH && g.inW === g.outW ? 1 : 0;
  return prepareF32Gemm(w, 'CONV_2D', d, f, s.filter, s.bias, s);
}

/** Prepare time for float FULLY_CONNECTED: a direct 1x1 GEMM over `batches` rows of inDepth floats. */
export function prepareF32FullyConnected(w: WasmKernels, s: F32FullyConnectedSetup): F32GemmPlan {
  const g = s.geometry;
  requirePositive('FULLY_CONNECTED', { batches: g.batches, inDepth: g.inDepth, outDepth: g.outDepth });
  const { d, f } = f32Desc();
  d[F.BATCH] = 1; d[F.IN_H] = g.batches; d[F.IN_W] = 1; d[F.IN_C] = g.inDepth;
  d[F.OUT_H] = g.batches; d[F.OUT_W] = 1; d[F.FH] = 1; d[F.FW] = 1;
  d[F.SH] = 1; d[F.SW] = 1; d[F.DH] = 1; d[F.DW] = 1;
  d[F.K] = g.inDepth; d[F.CH_OUT] = g.outDepth; d[F.DIRECT] = 1;
  return prepareF32Gemm(w, 'FULLY_CONNECTED', d, f, s.weights, s.bias, s);
}

/** Point a prepared float kernel (GEMM, depthwise, pool) at its input and output (arena offsets). */
export function setF32Io(w: WasmKernels, plan: { readonly desc: Ptr }, input: Ptr, out: Ptr): void {
  const d = w.i32(plan.desc, F_DESC_WORDS);
  d[F.INPUT] = input;
  d[F.OUT] = out;
}

/** Run output rows [m0, m1) of a prepared float CONV_2D / FULLY_CONNECTED using thread `thread`'s scratch. */
export function runF32GemmRows(w: WasmKernels, plan: F32GemmPlan, m0 = 0, m1 = plan.rows, thread = 0): void {
  w.invoke(plan.variant.conv, plan.desc, m0, m1, plan.scratch + thread * plan.scratchBytes);
}

/** The GEMM tile loop alone (benchmarks): `rows` A rows of K floats at `a`, output rows from mBase. */
export function runF32Gemm(w: WasmKernels, plan: F32GemmPlan, a: Ptr, rows: number, mBase = 0): void {
  w.invoke(plan.variant.name, plan.desc, a, rows, mBase);
}

/** A prepared depthwise convolution or pool: one export run over output-pixel ranges of one descriptor. */
export interface F32DirectPlan {
  readonly kernel: string;
  /** Output pixels = batch · outH · outW; threads split [0, rows). */
  readonly rows: number;
  readonly desc: Ptr;
}

function directKernel(w: WasmKernels, base: string, variant: string | undefined): string {
  const name = variant ?? `${base}__${w.isa}`;
  if (!w.has(name)) throw new OpPrepareError(`${name} is not in the ${w.build} build`);
  return name;
}

export interface F32DepthwiseSetup extends F32Common {
  geometry: DepthwiseConv2DGeometry;
  /** [1][fh][fw][inC · depthMultiplier], as TFLite stores it. */
  filter: Float32Array;
  bias: Float32Array | null;
  variant?: string;
}

/** Prepare time for float DEPTHWISE_CONV_2D (any stride, dilation, padding, depth multiplier). */
export function prepareF32Depthwise(w: WasmKernels, s: F32DepthwiseSetup): F32DirectPlan {
  const g = s.geometry;
  requirePositive('DEPTHWISE_CONV_2D', {
    batch: g.batch, inH: g.inH, inW: g.inW, inC: g.inC, outH: g.outH, outW: g.outW, depthMultiplier: g.depthMultiplier,
    filterH: g.filterH, filterW: g.filterW, strideH: g.strideH, strideW: g.strideW, dilationH: g.dilationH, dilationW: g.dilationW,
  });
  const kernel = directKernel(w, 'f32_dwconv2d', s.variant);
  const outC = g.inC * g.depthMultiplier;
  const taps = g.filterH * g.filterW;
  if (s.filter.length < taps * outC) {
    throw new OpPrepareError(`DEPTHWISE_CONV_2D: filter has ${s.filter.length} values; expected ${taps * outC}`);
  }
  const { d, f } = f32Desc();
  d[F.BATCH] = g.batch; d[F.IN_H] = g.inH; d[F.IN_W] = g.inW; d[F.IN_C] = g.inC;
  d[F.OUT_H] = g.outH; d[F.OUT_W] = g.outW; d[F.FH] = g.filterH; d[F.FW] = g.filterW;
  d[F.SH] = g.strideH; d[F.SW] = g.strideW; d[F.DH] = g.dilationH; d[F.DW] = g.dilationW;
  d[F.PAD_TOP] = g.padTop; d[F.PAD_LEFT] = g.padLeft; d[F.CH_OUT] = outC; d[F.DEPTH_MULT] = g.depthMultiplier;
  d[F.WEIGHTS] = w.put(s.filter.subarray(0, taps * outC));
  d[F.BIAS] = putBias(w, s.bias, outC, outC, 'DEPTHWISE_CONV_2D');
  f[F.CLAMP_LO] = s.actMin;
  f[F.CLAMP_HI] = s.actMax;
  const plan: F32DirectPlan = { kernel, rows: g.batch * g.outH * g.outW, desc: w.put(d) };
  if (s.input !== undefined && s.out !== undefined) setF32Io(w, plan, s.input, s.out);
  return plan;
}

export interface F32Pool2dSetup extends F32Common {
  geometry: Pool2DGeometry;
  kind: 'max' | 'average';
  variant?: string;
}

/** Prepare time for float MAX_POOL_2D / AVERAGE_POOL_2D (TFLite semantics: windows clipped to the image). */
export function prepareF32Pool2d(w: WasmKernels, s: F32Pool2dSetup): F32DirectPlan {
  const g = s.geometry;
  const op = s.kind === 'max' ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D';
  requirePositive(op, {
    batch: g.batch, inH: g.inH, inW: g.inW, channels: g.channels, outH: g.outH, outW: g.outW,
    filterH: g.filterH, filterW: g.filterW, strideH: g.strideH, strideW: g.strideW,
  });
  const kernel = directKernel(w, s.kind === 'max' ? 'f32_maxpool2d' : 'f32_avgpool2d', s.variant);
  const { d, f } = f32Desc();
  d[F.BATCH] = g.batch; d[F.IN_H] = g.inH; d[F.IN_W] = g.inW; d[F.IN_C] = g.channels;
  d[F.OUT_H] = g.outH; d[F.OUT_W] = g.outW; d[F.FH] = g.filterH; d[F.FW] = g.filterW;
  d[F.SH] = g.strideH; d[F.SW] = g.strideW; d[F.DH] = 1; d[F.DW] = 1;
  d[F.PAD_TOP] = g.padTop; d[F.PAD_LEFT] = g.padLeft; d[F.CH_OUT] = g.channels;
  f[F.CLAMP_LO] = s.actMin;
  f[F.CLAMP_HI] = s.actMax;
  const plan: F32DirectPlan = { kernel, rows: g.batch * g.outH * g.outW, desc: w.put(d) };
  if (s.input !== undefined && s.out !== undefined) setF32Io(w, plan, s.input, s.out);
  return plan;
}

/** Run output pixels [m0, m1) of a prepared depthwise convolution or pool. */
export function runF32DirectRows(w: WasmKernels, plan: F32DirectPlan, m0 = 0, m1 = plan.rows): void {
  w.invoke(plan.kernel, plan.desc, m0, m1);
}

/**
 * Float ADD / MUL on a rows x channels view: `b` has a's shape, or (broadcast) is one row of `channels` values
 * repeated over the rows (per-channel; a scalar is channels = 1 with rows = a's size). Both ops commute, so a
 * broadcast first operand is handled by swapping. No weights, so no plan: eval calls this per row range.
 */
export interface F32BinaryArgs {
  op: 'add' | 'mul';
  a: Ptr;
  b: Ptr;
  out: Ptr;
  rows: number;
  channels: number;
  broadcast: boolean;
  actMin: number;
  actMax: number;
  variant?: string;
}

export function runF32Binary(w: WasmKernels, x: F32BinaryArgs, r0 = 0, r1 = x.rows): void {
  const name = x.variant ?? `f32_${x.op}__${w.isa}`;
  w.invoke(name, x.a, x.b, x.out, x.channels, x.broadcast ? 1 : 0, r0, r1, x.actMin, x.actMax);
}

/** Fused ADD + LceQuantize descriptor fields (i32 index); mirrors E_* in src/kernels/f32_desc.ts. */
const E = { A: 0, B: 1, OUT: 2, BITS: 3, CHANNELS: 4, BCAST: 5, CLAMP_LO: 6, CLAMP_HI: 7 } as const;
const E_DESC_WORDS = 8;

/** A prepared ADD whose result rows are also bitpacked for the LceQuantize reading it (f32_add_pack). */
export interface F32AddPackPlan {
  readonly kernel: string;
  /** Rows of `channels` elements (the kernel runs any row range of them). */
  readonly rows: number;
  readonly desc: Ptr;
}

export interface F32AddPackSetup {
  rows: number;
  channels: number;
  /** b is one row of `channels` values repeated (else a's shape). */
  broadcast: boolean;
  actMin: number;
  actMax: number;
  variant?: string;
}

/** Prepare time for ADD + LceQuantize: the descriptor (operands set per eval with setF32AddPackIo). */
export function prepareF32AddPack(w: WasmKernels, s: F32AddPackSetup): F32AddPackPlan {
  requirePositive('ADD', { rows: s.rows, channels: s.channels });
  const kernel = directKernel(w, 'f32_add_pack', s.variant);
  const d = new Int32Array(E_DESC_WORDS);
  const f = new Float32Array(d.buffer);
  d[E.CHANNELS] = s.channels;
  d[E.BCAST] = s.broadcast ? 1 : 0;
  f[E.CLAMP_LO] = s.actMin;
  f[E.CLAMP_HI] = s.actMax;
  return { kernel, rows: s.rows, desc: w.put(d) };
}

/** Point a prepared ADD + LceQuantize at its operands, float output and packed output (arena offsets). */
export function setF32AddPackIo(w: WasmKernels, plan: F32AddPackPlan, a: Ptr, b: Ptr, out: Ptr, bits: Ptr): void {
  const d = w.i32(plan.desc, E_DESC_WORDS);
  d[E.A] = a;
  d[E.B] = b;
  d[E.OUT] = out;
  d[E.BITS] = bits;
}

/** MEAN over H,W of NHWC float input [batch][plane][channels] → [batch][channels], batches [n0, n1). */
export interface F32MeanHwArgs {
  input: Ptr;
  out: Ptr;
  batch: number;
  /** H · W. */
  plane: number;
  channels: number;
  variant?: string;
}

export function runF32MeanHw(w: WasmKernels, x: F32MeanHwArgs, n0 = 0, n1 = x.batch): void {
  w.invoke(x.variant ?? `f32_mean_hw__${w.isa}`, x.input, x.plane, x.channels, x.out, n0, n1);
}
