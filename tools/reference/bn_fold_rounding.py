"""Where do LCE's BatchNorm-folded constants come from? (issue 5, the BN-fold rounding justification)

LCE's converter folds an inference BatchNormalization into multiplier m = gamma * rsqrt(var + eps) (and bias
beta - mean * m). TF constant-folds the Rsqrt with its CPU kernel, i.e. Eigen's scalar_rsqrt_op: packets of 8
floats go through Eigen's AVX prsqrt (EIGEN_FAST_MATH: `_mm256_rsqrt_ps`, a ~12-bit estimate whose exact values
differ between Intel and AMD, then one Newton-Raphson step, `generic_rsqrt_newton_step`), the last n mod 8
elements through the scalar 1/std::sqrt. So LCE's folded constants depend on the CPU's rsqrt estimate.

This script checks that, on this machine, for every Keras file in the corpus:
  1. every located multiplier in LCE's .tflite equals float32(gamma * tf.math.rsqrt(var + eps)) run on this CPU;
  2. elements in the scalar tail (index >= 8 * floor(n / 8)) always equal the exact float32 1/sqrt, while packet
     elements often do not;
  3. with a C compiler available: an emulation (`_mm256_rsqrt_ps` on this CPU + Eigen's Newton step written out)
     equals tf.math.rsqrt bit for bit on 1 M random inputs, and the packet/tail split holds for lengths 1..40.

Run: TF_USE_LEGACY_KERAS=1 tools/reference/.venv/bin/python tools/reference/bn_fold_rounding.py [--case zoo/QuickNetSmall,…] [--json out.json]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from larq_compute_engine.mlir.python import tflite_schema as S  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures"

# Eigen (TF 2.16's copy) AVX prsqrt<Packet8f> under EIGEN_FAST_MATH, written out with intrinsics. TF's x86 wheels are
# built for AVX without FMA, so pmadd is a multiply then an add.
EIGEN_PRSQRT_C = r"""
#include <immintrin.h>
#include <math.h>
void eigen_prsqrt(const float *x, float *out, long n) {  /* n: a multiple of 8 */
  const __m256 minus_half = _mm256_set1_ps(-0.5f), minus_one = _mm256_set1_ps(-1.0f);
  for (long i = 0; i < n; i += 8) {
    __m256 a = _mm256_loadu_ps(x + i);
    __m256 y = _mm256_rsqrt_ps(a);                                  /* the CPU's estimate */
    __m256 r2 = _mm256_mul_ps(a, y), half_r = _mm256_mul_ps(y, minus_half);
    __m256 h = _mm256_add_ps(_mm256_mul_ps(r2, y), minus_one);      /* h = x*y*y - 1 */
    _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_mul_ps(half_r, h), y));  /* y - y/2 * h */
  }
}
void scalar_rsqrt(const float *x, float *out, long n) { for (long i = 0; i < n; i++) out[i] = 1.0f / sqrtf(x[i]); }
void rsqrt_estimate(const float *x, float *out, long n) {
  for (long i = 0; i < n; i += 8) _mm256_storeu_ps(out + i, _mm256_rsqrt_ps(_mm256_loadu_ps(x + i)));
}
"""


def load_emulation():
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    tmp = Path(tempfile.mkdtemp(prefix="lcejs-rsqrt-"))
    (tmp / "r.c").write_text(EIGEN_PRSQRT_C)
    r = subprocess.run([cc, "-O1", "-mavx", "-shared", "-fPIC", "-o", str(tmp / "r.so"), str(tmp / "r.c"), "-lm"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    lib = ctypes.CDLL(str(tmp / "r.so"))

    def call(name):
        fn = getattr(lib, name)

        def run(x: np.ndarray) -> np.ndarray:
            n = x.size
            m = (n + 7) // 8 * 8
            xin = np.ones(m, np.float32)
            xin[:n] = x
            out = np.zeros(m, np.float32)
            fn(xin.ctypes.data_as(ctypes.c_void_p), out.ctypes.data_as(ctypes.c_void_p), ctypes.c_long(m))
            return out[:n]
        return run
    return {"eigen": call("eigen_prsqrt"), "scalar": call("scalar_rsqrt"), "estimate": call("rsqrt_estimate")}


def exact_rsqrt(v: np.ndarray) -> np.ndarray:
    """Eigen's scalar path, 1.0f / std::sqrt(x) in float32 (both operations correctly rounded)."""
    return (np.float32(1) / np.sqrt(v.astype(np.float32))).astype(np.float32)


def tf_rsqrt(v: np.ndarray) -> np.ndarray:
    return tf.math.rsqrt(tf.constant(v.astype(np.float32))).numpy()


def ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    def key(x):
        i = x.astype(np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)
    return np.abs(key(a) - key(b))


def float_constants(flat: bytes) -> list[np.ndarray]:
    model = S.ModelT.InitFromPackedBuf(flat, 0)
    out = []
    for t in model.subgraphs[0].tensors:
        data = model.buffers[t.buffer].data
        if t.type == S.TensorType.FLOAT32 and data is not None and len(data) > 0:
            out.append(np.frombuffer(bytes(bytearray(data)), dtype=np.float32))
    return out


def batch_norms(h5path: Path):
    with h5py.File(h5path, "r") as h:
        cfg = json.loads(h.attrs["model_config"])
        mw = h["model_weights"]

        def walk(layers):
            for layer in layers:
                if layer["class_name"] in ("Functional", "Sequential", "Model"):
                    yield from walk(layer["config"]["layers"])
                elif layer["class_name"] == "BatchNormalization":
                    yield layer
        for layer in walk(cfg["config"]["layers"]):
            name = layer["config"]["name"]
            if name not in mw:
                continue
            w = {}
            mw[name].visititems(lambda k, d: w.__setitem__(k.split("/")[-1].split(":")[0], d[()]) if isinstance(d, h5py.Dataset) else None)
            if "moving_variance" not in w:
                continue
            yield name, np.float32(layer["config"]["epsilon"]), w


def check_case(entry: dict) -> dict:
    d = FIXTURES / entry["dir"]
    consts = float_constants((d / entry["files"]["tflite"]).read_bytes())
    row = {"case": f"{entry['group']}/{entry['case']}", "batch_norms": 0, "located": 0, "elements": 0,
           "packet_elements": 0, "tail_elements": 0, "packet_not_exact": 0, "tail_not_exact": 0,
           "not_tf_rsqrt": 0, "max_ulps_vs_exact": 0}
    for _name, eps, w in batch_norms(d / entry["files"]["h5"]):
        row["batch_norms"] += 1
        var = w["moving_variance"].astype(np.float32)
        gamma = w.get("gamma")
        v = (var + eps).astype(np.float32)
        fold = (lambda r: (r * gamma).astype(np.float32)) if gamma is not None else (lambda r: r)
        m_tf = fold(tf_rsqrt(v))
        m_exact = fold(exact_rsqrt(v))
        # The LCE constant that is this BN's multiplier: bit-identical to either candidate on most elements.
        best = None
        for c in consts:
            if c.size == v.size:
                agree = int(np.sum((c == m_tf) | (c == m_exact)))
                if agree >= 0.9 * v.size and (best is None or agree > best[0]):
                    best = (agree, c)
        if best is None:
            continue  # folded into a float conv's filter (m times the weights) or fused further: not located
        lce = best[1]
        n = v.size
        tail = np.arange(n) >= 8 * (n // 8)
        not_exact = lce != m_exact
        row["located"] += 1
        row["elements"] += n
        row["packet_elements"] += int(np.sum(~tail))
        row["tail_elements"] += int(np.sum(tail))
        row["packet_not_exact"] += int(np.sum(not_exact & ~tail))
        row["tail_not_exact"] += int(np.sum(not_exact & tail))
        row["not_tf_rsqrt"] += int(np.sum(lce != m_tf))
        row["max_ulps_vs_exact"] = max(row["max_ulps_vs_exact"], int(ulps(lce, m_exact).max()))
    return row


def emulation_checks(emu) -> dict:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(1e-3, 10, 500_000), np.exp(rng.uniform(-20, 20, 500_000))]).astype(np.float32)
    t = tf_rsqrt(x)
    e = emu["eigen"](x)
    exact = exact_rsqrt(x)
    cr = (1 / np.sqrt(x.astype(np.float64))).astype(np.float32)
    est = emu["estimate"](x)
    out = {
        "random_inputs": int(x.size),
        "emulation_equals_tf_rsqrt": int(np.sum(e == t)),
        "exact_equals_tf_rsqrt": int(np.sum(exact == t)),
        "tf_rsqrt_equals_correctly_rounded": int(np.sum(t == cr)),
        "tf_rsqrt_max_ulps_vs_correctly_rounded": int(ulps(t, cr).max()),
        "estimate_max_relative_error": float(np.max(np.abs(est.astype(np.float64) * np.sqrt(x.astype(np.float64)) - 1))),
    }
    split_ok = True
    for n in range(1, 41):
        xs = x[1000:1000 + n]
        ts = tf_rsqrt(xs)
        k = 8 * (n // 8)
        split_ok &= bool(np.array_equal(ts[:k], emu["eigen"](xs)[:k]) and np.array_equal(ts[k:], exact_rsqrt(xs)[k:]))
    out["lengths_1_to_40_packets_emulated_and_tail_exact"] = split_ok
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", help="comma-separated group/case ids (default: every Keras file)")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args(argv)
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    cases = [c for c in manifest["cases"] if c.get("files", {}).get("h5")]
    if a.case:
        cases = [c for c in cases if f"{c['group']}/{c['case']}" in a.case.split(",")]
    rows = [check_case(c) for c in cases]
    total = {k: sum(r[k] for r in rows) for k in rows[0] if k not in ("case", "max_ulps_vs_exact")}
    total["max_ulps_vs_exact"] = max(r["max_ulps_vs_exact"] for r in rows)
    for r in rows:
        if r["located"]:
            print(f"  {r['case']:40s} BN {r['located']:3d}/{r['batch_norms']:<3d} packet {r['packet_not_exact']:5d}/{r['packet_elements']:<6d} "
                  f"not exact, tail {r['tail_not_exact']}/{r['tail_elements']} not exact, {r['not_tf_rsqrt']} not tf.math.rsqrt, "
                  f"max {r['max_ulps_vs_exact']} ulps")
    print(f"[bn-fold] all cases: {json.dumps(total)}")
    emu = load_emulation()
    checks = emulation_checks(emu) if emu else {"skipped": "no C compiler"}
    print(f"[bn-fold] emulation: {json.dumps(checks)}")
    if a.json:
        Path(a.json).write_text(json.dumps({"cases": rows, "total": total, "emulation": checks}, indent=1) + "\n")
    ok = total["not_tf_rsqrt"] == 0 and total["tail_not_exact"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
