/**
 * A pool worker (Node worker_threads or a browser module Worker): instantiates the kernels on the main thread's
 * shared WebAssembly.Memory, answers `ready`, then serves jobs from its control slot until told to stop.
 * It blocks in Atomics.wait between jobs, which workers may do in every runtime.
 */
import { WasmKernels } from './wasm.js';
import { Ctl, JobKind, SLOT_INTS, functionExports, type WorkerInit, type WorkerReply } from './worker-protocol.js';

interface Port {
  post(msg: WorkerReply): void;
  once(handler: (msg: WorkerInit) => void): void;
}

async function parentPort(): Promise<Port> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (proc?.versions?.node) {
    const specifier = 'node:worker_threads';
    const wt = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
    const port = wt.parentPort;
    if (!port) throw new Error('lce-js worker.ts must run as a worker thread');
    return { post: (m) => port.postMessage(m), once: (h) => port.once('message', h) };
  }
  const scope = globalThis as unknown as {
    postMessage(m: unknown): void;
    addEventListener(t: 'message', h: (e: MessageEvent<WorkerInit>) => void, o: { once: boolean }): void;
  };
  return { post: (m) => scope.postMessage(m), once: (h) => scope.addEventListener('message', (e) => h(e.data), { once: true }) };
}

function serve(kernels: WasmKernels, ctl: Int32Array, base: number, firstSeq: number): void {
  const names = functionExports(kernels.module);
  let last = firstSeq;
  for (;;) {
    Atomics.wait(ctl, base + Ctl.SEQ, last);
    const seq = Atomics.load(ctl, base + Ctl.SEQ);
    if (seq === last) continue;
    last = seq;
    const kind = Atomics.load(ctl, base + Ctl.KIND);
    if (kind === JobKind.STOP) {
      Atomics.store(ctl, base + Ctl.DONE, seq);
      Atomics.notify(ctl, base + Ctl.DONE);
      return;
    }
    let status = 0;
    try {
      const a = base + Ctl.ARG0;
      const name = names[ctl[a]!];
      if (kind === JobKind.CALL_ROWS && name !== undefined) {
        kernels.invoke(name, ctl[a + 1]!, ctl[a + 2]!, ctl[a + 3]!, ctl[a + 4]!);
      } else {
        status = 1;
      }
    } catch {
      status = 1;
    }
    Atomics.store(ctl, base + Ctl.STATUS, status);
    Atomics.store(ctl, base + Ctl.DONE, seq);
    Atomics.notify(ctl, base + Ctl.DONE);
  }
}

const port = await parentPort();
port.once((init) => {
  WasmKernels.instantiateOn(init.module, init.memory, init.isa, init.build).then((kernels) => {
    const ctl = new Int32Array(init.control);
    const base = init.slot * SLOT_INTS;
    // Read the job counter before answering: the first job may be posted the moment `ready` arrives.
    const firstSeq = Atomics.load(ctl, base + Ctl.SEQ);
    port.post({ ready: true });
    serve(kernels, ctl, base, firstSeq);
  }, (e: unknown) => {
    port.post({ ready: false, error: e instanceof Error ? e.message : String(e) });
  });
});
