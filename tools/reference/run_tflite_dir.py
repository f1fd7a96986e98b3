"""Runs every DIR/NAME.tflite in LCE 0.16.0's interpreter on the raw input bytes DIR/NAME.in (one input; its dtype and
shape are the model's) and writes the raw output bytes to DIR/NAME.out. Used by scripts/int8-op-sweep.ts and other
random op sweeps: lce-js writes the models, LCE runs them, lce-js compares.

    TF_USE_LEGACY_KERAS=1 tools/reference/.venv/bin/python tools/reference/run_tflite_dir.py DIR [--threads N]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from larq_compute_engine.tflite.python.interpreter import Interpreter  # noqa: E402


def main(argv: list[str]) -> int:
    directory = Path(argv[0])
    threads = int(argv[argv.index("--threads") + 1]) if "--threads" in argv else 1
    n = 0
    refused = []
    for model in sorted(directory.glob("*.tflite")):
        try:
            interpreter = Interpreter(model.read_bytes(), num_threads=threads)
        except RuntimeError as e:  # LCE refuses the model (e.g. AllocateTensors fails): no .out, reported below
            refused.append(f"{model.name}: {str(e).strip().splitlines()[0]}")
            continue
        (dtype,), (shape,) = interpreter.input_types, interpreter.input_shapes
        x = np.frombuffer(model.with_suffix(".in").read_bytes(), dtype=dtype).reshape(shape)
        # The wrapper's own predict (not predict(), which concatenates batches and cannot take rank-0 outputs).
        y = interpreter.interpreter.predict([x])[0]
        model.with_suffix(".out").write_bytes(np.ascontiguousarray(y).tobytes())
        n += 1
    print(f"{n} models run in LCE's interpreter ({threads} thread(s)), {len(refused)} refused")
    for line in refused:
        print("  refused", line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
