/**
 * The pool worker's program. `workerMain` is self-contained (no imports, no outer bindings), so the pool starts a
 * worker from its source text: an eval worker in Node, a Blob-URL worker in browsers. No worker file has to be
 * resolved or transpiled (from the TypeScript sources a tsx-loaded worker took ~0.9 s to start; this takes
 * tens of ms). The worker instantiates the kernels' module on the main thread's shared memory, answers
 * `ready`, then, each time its wake word changes, claims and runs chunks of the current job (protocol and layout
 * in worker-protocol.ts, the layout sent in the init message) until none is left, blocking in Atomics.wait between
 * jobs, until the pool stops. A chunk calls a kernel export by its index in functionExports(module) with
 * (desc, m0, m1, scratch): the same calls the main thread makes through wasm.ts.
 */

export function workerMain(): void {
  const g = globalThis as unknown as {
    require?: (m: string) => { parentPort: { on(e: 'message', h: (m: unknown) => void): void; postMessage(m: unknown): void } };
    postMessage(m: unknown): void;
    addEventListener(t: 'message', h: (e: { data: unknown }) => void): void;
  };
  const nodePort = typeof g.require === 'function' ? g.require('node:worker_threads').parentPort : null;
  const reply = nodePort ? nodePort.postMessage.bind(nodePort) : g.postMessage.bind(g);
  const onInit = (raw: unknown): void => {
    const init = raw as {
      module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; slot: number; claimDelayMs: number;
      layout: {
        CLAIM: number; DONE: number; STATUS: number; STOP: number; FN: number; DESC: number; ROWS: number;
        CHUNK_ROWS: number; CHUNKS: number; SCRATCH: number; SCRATCH_BYTES: number; ACTIVE: number; FN2: number; DESC2: number;
        headerInts: number; slotInts: number; chunkBits: number;
      };
    };
    WebAssembly.instantiate(init.module, { env: { memory: init.memory } }).then((instance) => {
      const L = init.layout;
      const ctl = new Int32Array(init.control);
      const wake = L.headerInts + init.slot * L.slotInts;
      const thread = init.slot + 1;
      const leftMask = (1 << L.chunkBits) - 1;
      const sleep = new Int32Array(new SharedArrayBuffer(4));
      const exports = instance.exports as Record<string, unknown>;
      const fns = WebAssembly.Module.exports(init.module).filter((e) => e.kind === 'function')
        .map((e) => exports[e.name] as (d: number, m0: number, m1: number, s: number) => void);
      // Read the wake word before answering: the first job may be posted the moment `ready` arrives.
      let last = Atomics.load(ctl, wake);
      reply({ ready: true });
      for (;;) {
        // Poll before blocking, for the whole of a model run (ACTIVE) and a while after: a model's ops come back to
        // back, and a futex wake-up per op (tens of µs, milliseconds when the VM has descheduled an idle vCPU) was a
        // visible share of a ~1 ms layer split over two threads.
        for (let spin = 0; Atomics.load(ctl, wake) === last && (spin < 20000 || Atomics.load(ctl, L.ACTIVE) !== 0); spin++);
        Atomics.wait(ctl, wake, last);
        const seq = Atomics.load(ctl, wake);
        if (seq === last) continue;
        last = seq;
        if (Atomics.load(ctl, L.STOP) !== 0) return;
        if (init.claimDelayMs > 0) Atomics.wait(sleep, 0, 0, init.claimDelayMs);
        const tag = seq << L.chunkBits;
        for (;;) {
          const claim = Atomics.load(ctl, L.CLAIM);
          const left = claim & leftMask;
          if (claim - left !== tag || left === 0) break;
          if (Atomics.compareExchange(ctl, L.CLAIM, claim, claim - 1) !== claim) continue;
          // The chunk is ours and its job cannot be replaced before we count it done: only now read the job.
          const chunks = ctl[L.CHUNKS]!;
          const chunkRows = ctl[L.CHUNK_ROWS]!;
          const m0 = (chunks - left) * chunkRows;
          try {
            const m1 = Math.min(ctl[L.ROWS]!, m0 + chunkRows);
            fns[ctl[L.FN]!]!(ctl[L.DESC]!, m0, m1, ctl[L.SCRATCH]! + thread * ctl[L.SCRATCH_BYTES]!);
            const then = ctl[L.FN2]!;
            if (then >= 0) fns[then]!(ctl[L.DESC2]!, m0, m1, 0);
          } catch {
            Atomics.store(ctl, L.STATUS, 1);
          }
          if (Atomics.add(ctl, L.DONE, 1) + 1 === chunks) Atomics.notify(ctl, L.DONE);
        }
      }
    }, (e: unknown) => {
      reply({ ready: false, error: e instanceof Error ? e.message : String(e) });
    });
  };
  if (nodePort) nodePort.on('message', onInit);
  else g.addEventListener('message', (e) => onInit(e.data));
}

/**
 * The worker program as script text. The dev transpiler (esbuild with keepNames) may wrap named inner functions
 * in a `__name(fn, "name")` helper that exists only in the main thread's module, so the script defines its own.
 */
export function workerSource(): string {
  return `var __name = function (fn) { return fn; };\n(${workerMain.toString()})();\n`;
}
