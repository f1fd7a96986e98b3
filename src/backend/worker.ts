/**
 * The pool worker's program. `workerMain` is self-contained (no imports, no outer bindings), so the pool starts a
 * worker from its source text: an eval worker in Node, a Blob-URL worker in browsers. No worker file has to be
 * resolved or transpiled (from the TypeScript sources a tsx-loaded worker took ~0.9 s to start; this takes
 * tens of ms). The worker instantiates the kernels' module on the main thread's shared memory, answers
 * `ready`, then serves row-range jobs from its control slot (layout in worker-protocol.ts, sent in the init
 * message) until told to stop, blocking in Atomics.wait between jobs. A job calls a kernel export by its index
 * in functionExports(module) with (desc, m0, m1, scratch): the same calls the main thread makes through wasm.ts.
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
      module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; slot: number;
      layout: { slotInts: number; SEQ: number; DONE: number; KIND: number; STATUS: number; ARG0: number; STOP: number; CALL_ROWS: number };
    };
    WebAssembly.instantiate(init.module, { env: { memory: init.memory } }).then((instance) => {
      const L = init.layout;
      const ctl = new Int32Array(init.control);
      const base = init.slot * L.slotInts;
      const exports = instance.exports as Record<string, unknown>;
      const fns = WebAssembly.Module.exports(init.module).filter((e) => e.kind === 'function')
        .map((e) => exports[e.name] as (d: number, m0: number, m1: number, s: number) => void);
      // Read the job counter before answering: the first job may be posted the moment `ready` arrives.
      let last = Atomics.load(ctl, base + L.SEQ);
      reply({ ready: true });
      for (;;) {
        // Poll a while before blocking: a model's ops come back to back, and a futex wake-up per op (tens of µs,
        // more on a busy machine) was a visible share of a ~1 ms layer split over two threads.
        for (let spin = 0; spin < 20000 && Atomics.load(ctl, base + L.SEQ) === last; spin++);
        Atomics.wait(ctl, base + L.SEQ, last);
        const seq = Atomics.load(ctl, base + L.SEQ);
        if (seq === last) continue;
        last = seq;
        const kind = Atomics.load(ctl, base + L.KIND);
        if (kind === L.STOP) {
          Atomics.store(ctl, base + L.DONE, seq);
          Atomics.notify(ctl, base + L.DONE);
          return;
        }
        let status = 0;
        const a = base + L.ARG0;
        const fn = fns[ctl[a]!];
        try {
          if (kind === L.CALL_ROWS && fn) fn(ctl[a + 1]!, ctl[a + 2]!, ctl[a + 3]!, ctl[a + 4]!);
          else status = 1;
        } catch {
          status = 1;
        }
        Atomics.store(ctl, base + L.STATUS, status);
        Atomics.store(ctl, base + L.DONE, seq);
        Atomics.notify(ctl, base + L.DONE);
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
