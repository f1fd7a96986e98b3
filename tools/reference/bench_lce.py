"""The real LCE interpreter as a timing worker for `npm run bench:compare` (bench/compare/).

Reads one JSON request per line on stdin, answers one JSON line on stdout, so the Node coordinator can
interleave LCE runs with every other engine in one process tree:
    {"cmd": "load", "key": "QuickNet/t2", "tflite": "/abs/lce.tflite", "threads": 2, "options": {...}}
        -> {"ok": true, "ms": <load ms>}
    {"cmd": "run", "key": "QuickNet/t2", "inputs": ["/abs/input_0.npy"], "n": 1, "save": "/abs/out.npy"|null}
        -> {"ok": true, "times": [ms per run]}   (input tensors set + invoke + output copy, perf_counter)
    {"cmd": "info"} -> versions
Errors answer {"ok": false, "error": "..."}; the worker keeps serving.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import larq_compute_engine  # noqa: E402
from larq_compute_engine.tflite.python.interpreter import Interpreter  # noqa: E402

interpreters: dict[str, Interpreter] = {}
inputs_cache: dict[str, np.ndarray] = {}


def load_input(path: str) -> np.ndarray:
    if path not in inputs_cache:
        inputs_cache[path] = np.load(path)
    return inputs_cache[path]


def handle(req: dict) -> dict:
    cmd = req["cmd"]
    if cmd == "info":
        try:
            from importlib.metadata import version
            lce_version = version("larq-compute-engine")
        except Exception:  # metadata missing: fall back to the module attribute
            lce_version = getattr(larq_compute_engine, "__version__", "unknown")
        return {"ok": True, "python": platform.python_version(), "larq_compute_engine": lce_version,
                "numpy": np.__version__}
    if cmd == "load":
        t0 = time.perf_counter()
        with open(req["tflite"], "rb") as f:
            buf = f.read()
        interpreters[req["key"]] = Interpreter(buf, num_threads=int(req["threads"]), **req.get("options", {}))
        return {"ok": True, "ms": (time.perf_counter() - t0) * 1e3}
    if cmd == "run":
        interp = interpreters[req["key"]]
        xs = [load_input(p) for p in req["inputs"]]
        wrapper = interp.interpreter
        times = []
        out = None
        n, min_ms, total = int(req.get("n", 1)), float(req.get("min_ms", 0)), 0.0
        # at least n runs, and more until they took min_ms in all (bounded like the Node workers)
        while (len(times) < n or total < min_ms) and len(times) < 10_000:
            t0 = time.perf_counter()
            out = wrapper.predict(xs)
            times.append((time.perf_counter() - t0) * 1e3)
            total += times[-1]
        if req.get("save") and out is not None:
            np.save(req["save"], np.asarray(out[0]))
        return {"ok": True, "times": times}
    if cmd == "release":
        interpreters.pop(req["key"], None)
        return {"ok": True}
    return {"ok": False, "error": f"unknown cmd {cmd}"}


def main() -> None:
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            res = handle(json.loads(line))
        except Exception as e:  # report and keep serving: the coordinator decides what a failure means
            res = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
