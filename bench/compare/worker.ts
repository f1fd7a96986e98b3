// One engine at one thread count, in its own process (ORT-web and TF.js take their thread count once per
// process): `node --import tsx bench/compare/worker.ts <engine> <threads>`, driven over the fork IPC channel by
// main.ts. Times are measured here, around the inference call only (input already built, output read back).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parseNpy, type NpyArray } from '../../src/format/npy.js';
import type { OpProfile } from '../../src/runtime/session.js';
import { ENGINES, type ModelFiles, type ModelWork, type NodeEngineName, type WorkerRequest, type WorkerResponse } from './protocol.js';

interface Loaded {
  /** One inference; returns the first output as float32 and its shape. */
  run(): Promise<{ data: Float32Array; shape: number[] }>;
  release(): Promise<void>;
  detail: string;
  work?: ModelWork;
  /** lce-js: one run with a per-op profile (ops unfused, so each type has its own time), summed per op type. */
  profile?(): Promise<Record<string, number>>;
}

type Loader = (m: ModelFiles, threads: number, input: NpyArray) => Promise<Loaded>;

const require = createRequire(import.meta.url);

function float32(input: NpyArray): Float32Array {
  if (!(input.data instanceof Float32Array)) throw new Error(`input is ${input.dtype}, the benchmark feeds float32`);
  return input.data;
}

async function lceJs(bytes: Uint8Array, name: string, threads: number, input: NpyArray, how: string): Promise<Loaded> {
  const { InferenceSession, Tensor } = await import('../../src/node.js');
  const session = await InferenceSession.create(bytes, { numThreads: threads, backend: 'wasm', modelName: name });
  const inName = session.inputNames[0]!;
  const outName = session.outputNames[0]!;
  const x = new Tensor('float32', float32(input), input.shape);
  const work: ModelWork = { binaryMacs: 0, floatMacs: 0, int8Macs: 0 };
  for (const op of session.opSummaries()) {
    if (op.work.kind === 'binary') work.binaryMacs += op.work.macs;
    else if (op.work.kind === 'float') work.floatMacs += op.work.macs;
    else if (op.work.kind === 'int8') work.int8Macs += op.work.macs;
  }
  return {
    work,
    async profile() {
      // A separate session without op fusion: fused, a convolution's time would include the ADD after it.
      const unfused = await InferenceSession.create(bytes, { numThreads: threads, backend: 'wasm', modelName: name, fuseOps: false });
      try {
        const profile: OpProfile[] = [];
        for (let i = 0; i < 3; i++) await unfused.run({ [inName]: x });
        await unfused.run({ [inName]: x }, { profile });
        const byType: Record<string, number> = {};
        for (const p of profile) byType[p.type] = (byType[p.type] ?? 0) + p.ms;
        return byType;
      } finally {
        await unfused.release();
      }
    },
    detail: `${how}; backend ${session.backend}, ${session.threads} thread(s), arena ${(session.arenaBytes / 2 ** 20).toFixed(1)} MiB`,
    async run() {
      const out = await session.run({ [inName]: x });
      const t = out[outName]!;
      return { data: t.data as Float32Array, shape: [...t.dims] };
    },
    release: () => session.release(),
  };
}

const loaders: Record<NodeEngineName, Loader> = {
  'lce-js': (m, threads, input) => lceJs(new Uint8Array(readFileSync(m.tflite)), m.name, threads, input, 'LCE .tflite'),

  async 'lce-js-conv'(m, threads, input) {
    const { convertKeras } = await import('../../src/converter/convert.js');
    const t0 = performance.now();
    const conv = await convertKeras(m.h5);
    const ms = performance.now() - t0;
    return lceJs(conv.bytes, m.name, threads, input, `converted by lce-js in ${(ms / 1e3).toFixed(1)} s (${conv.report.opsOut} ops)`);
  },

  async 'ort-node'(m, threads, input) {
    const ort = await import('onnxruntime-node');
    if (!m.onnx) throw new Error(`${m.name}: no ONNX float twin`);
    const session = await ort.InferenceSession.create(m.onnx, {
      intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    });
    const x = new ort.Tensor('float32', float32(input), input.shape);
    const inName = session.inputNames[0]!;
    const outName = session.outputNames[0]!;
    return {
      detail: `onnxruntime-node ${ort.env.versions.node ?? ''}, CPU EP, intra-op threads ${threads}`,
      async run() {
        const out = await session.run({ [inName]: x });
        const t = out[outName]!;
        return { data: t.data as Float32Array, shape: [...t.dims] };
      },
      release: () => session.release(),
    };
  },

  async 'ort-web'(m, threads, input) {
    const ort = await import('onnxruntime-web');
    if (!m.onnx) throw new Error(`${m.name}: no ONNX float twin`);
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.proxy = false;
    const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(m.onnx)), {
      executionProviders: ['wasm'], graphOptimizationLevel: 'all', executionMode: 'sequential',
    });
    const x = new ort.Tensor('float32', float32(input), input.shape);
    const inName = session.inputNames[0]!;
    const outName = session.outputNames[0]!;
    return {
      detail: `onnxruntime-web ${ort.env.versions.web ?? ''}, wasm EP (SIMD), numThreads ${ort.env.wasm.numThreads}`,
      async run() {
        const out = await session.run({ [inName]: x });
        const t = out[outName]!;
        return { data: t.data as Float32Array, shape: [...t.dims] };
      },
      release: () => session.release(),
    };
  },

  async 'tfjs-wasm'(m, threads, input) {
    const tf = await import('@tensorflow/tfjs-core');
    const { loadGraphModel } = await import('@tensorflow/tfjs-converter');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (!m.tfjsDir) throw new Error(`${m.name}: no TF.js float twin`);
    // tfjs-backend-wasm turns its threaded build off under Node (flag WASM_HAS_MULTITHREAD_SUPPORT is false when
    // IS_NODE, tensorflow/tfjs#3830): a 2-thread cell would silently time one thread, so it is refused instead.
    if (threads > 1) throw new Error('n/a: TF.js wasm runs single-threaded under Node (WASM_HAS_MULTITHREAD_SUPPORT is off when IS_NODE, tfjs#3830)');
    if (tf.getBackend() !== 'wasm') {
      const dist = join(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'), '..', 'dist') + '/';
      wasm.setWasmPaths(dist);
      wasm.setThreadsCount(threads);
      if (!(await tf.setBackend('wasm'))) throw new Error('TF.js wasm backend failed to initialise');
      await tf.ready();
    }
    const json = JSON.parse(readFileSync(join(m.tfjsDir, 'model.json'), 'utf8')) as {
      modelTopology: object; weightsManifest: { paths: string[]; weights: object[] }[]; format?: string;
      generatedBy?: string; convertedBy?: string; signature?: object; userDefinedMetadata?: object; modelInitializer?: object;
    };
    const shards = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(m.tfjsDir!, p))));
    const weightData = new Uint8Array(shards.reduce((s, b) => s + b.length, 0));
    let off = 0;
    for (const b of shards) { weightData.set(b, off); off += b.length; }
    const model = await loadGraphModel(tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as never,
      weightData: weightData.buffer,
      ...(json.format ? { format: json.format } : {}),
      ...(json.signature ? { signature: json.signature } : {}),
    }));
    const x = tf.tensor(float32(input), input.shape, 'float32');
    const features = [tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD'];
    return {
      detail: `TF.js ${tf.version_core} wasm (${features.join(', ')}), threads ${wasm.getThreadsCount()}`,
      async run() {
        const y = model.execute(x) as import('@tensorflow/tfjs-core').Tensor;
        const data = (await y.data()) as Float32Array;
        const shape = [...y.shape];
        y.dispose();
        return { data, shape };
      },
      async release() { model.dispose(); x.dispose(); },
    };
  },
};

const [engineArg, threadsArg] = process.argv.slice(2);
if (!engineArg || !(ENGINES as readonly string[]).includes(engineArg) || engineArg === 'lce') {
  throw new Error(`usage: worker.ts <${ENGINES.filter((e) => e !== 'lce').join('|')}> <threads>`);
}
const engine = engineArg as NodeEngineName;
const threads = Number(threadsArg ?? '1');
const sessions = new Map<string, Loaded>();
/** Upper bound on one burst (a sub-microsecond model and a long minMs must still end). */
const MAX_BURST_RUNS = 10_000;

function reply(r: WorkerResponse): void {
  process.send!(r);
}

async function handle(req: WorkerRequest): Promise<WorkerResponse> {
  switch (req.type) {
    case 'load': {
      const t0 = performance.now();
      const input = parseNpy(new Uint8Array(readFileSync(req.model.input)));
      const loaded = await loaders[engine](req.model, threads, input);
      sessions.set(req.key, loaded);
      return { ok: true, type: 'loaded', ms: performance.now() - t0, detail: loaded.detail, ...(loaded.work ? { work: loaded.work } : {}) };
    }
    case 'run': {
      const s = sessions.get(req.key);
      if (!s) throw new Error(`no session ${req.key}`);
      const times: number[] = [];
      let last: { data: Float32Array; shape: number[] } | undefined;
      const minMs = req.minMs ?? 0;
      let total = 0;
      for (let i = 0; (i < req.n || total < minMs) && i < MAX_BURST_RUNS; i++) {
        const t0 = performance.now();
        last = await s.run();
        const ms = performance.now() - t0;
        times.push(ms);
        total += ms;
      }
      return req.wantOutput && last
        ? { ok: true, type: 'ran', times, output: Array.from(last.data), outputShape: last.shape }
        : { ok: true, type: 'ran', times };
    }
    case 'profile': {
      const s = sessions.get(req.key);
      if (!s?.profile) throw new Error(`${engine} has no per-op profile`);
      return { ok: true, type: 'profiled', msByOpType: await s.profile() };
    }
    case 'close': {
      for (const s of sessions.values()) await s.release();
      sessions.clear();
      return { ok: true, type: 'closed' };
    }
  }
}

process.on('message', (msg: WorkerRequest) => {
  handle(msg).then(reply, (e: unknown) => reply({ ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) }))
    .finally(() => { if (msg.type === 'close') process.disconnect(); });
});
