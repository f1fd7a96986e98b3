/**
 * Worker side of the fuzzer: makes and runs the cases the main thread names, one at a time, and reports each
 * outcome. The main thread is the watchdog: it terminates this worker when a case runs past the time limit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { makeCase, runCase, type CaseLimits, type Outcome } from './case.js';
import { loadCorpus } from './corpus.js';

export interface WorkerSetup {
  root: string;
  seed: number;
  limits: CaseLimits;
}

export type ToWorker = { type: 'case'; index: number };
export type FromWorker =
  | { type: 'ready'; corpus: number }
  | { type: 'result'; index: number; outcome: Outcome; ms: number };

const port = parentPort;
if (port) {
  const setup = workerData as WorkerSetup;
  const corpus = loadCorpus(setup.root);
  port.on('message', (msg: ToWorker) => {
    const c = makeCase(corpus, setup.seed, msg.index);
    const t0 = performance.now();
    void runCase(c, setup.limits).then((outcome) => {
      port.postMessage({ type: 'result', index: msg.index, outcome, ms: performance.now() - t0 } satisfies FromWorker);
    });
  });
  // Warm the module graph (kernels, registry) so the first timed case does not pay for it.
  void runCase({ bytes: corpus[0]!.bytes, feedMode: 'random', feedSeed: 1 }, { ...setup.limits, timeoutMs: 60_000 }).then(() => {
    port.postMessage({ type: 'ready', corpus: corpus.length } satisfies FromWorker);
  });
}
