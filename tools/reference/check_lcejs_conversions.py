"""Does the real LCE runtime accept what lce-js's converter writes?

For every corpus case with a Keras file (test/fixtures/manifest.json, files.h5): convert it with lce-js
(`node bin/lce.js convert model.h5 -o <tmp>.tflite` plus the case's converter options), load the result in
LCE's own interpreter (larq_compute_engine.tflite.python.interpreter.Interpreter, with the case's
interpreter options), run the corpus inputs, and compare with lce_output_*.npy (what LCE's own conversion
gave). Tolerances as in test/compare.ts: integer outputs exact; float outputs max|diff| / max|ref| <= 1e-4
and the same argmax on every row of the last axis. Writes test/fixtures/converter-check.json.

Run: npm run fixtures:check-converter [-- --case zoo/QuickNet,matrix/bconv_k1] [--group zoo]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from larq_compute_engine.tflite.python.interpreter import Interpreter  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures"
OUT = FIXTURES / "converter-check.json"
FLOAT_TOLERANCE = 1e-4

# Mirrors test/converter-oracle.test.ts: cases lce-js refuses on purpose.
REFUSED = {"matrix/ste_tern_input"}


def cli_options(opts: dict) -> list[str]:
    args = []
    if opts.get("target"):
        args += ["--target", opts["target"]]
    if opts.get("inference_input_type"):
        args += ["--inference-input-type", opts["inference_input_type"]]
    if opts.get("inference_output_type"):
        args += ["--inference-output-type", opts["inference_output_type"]]
    if opts.get("experimental_default_int8_range"):
        lo, hi = opts["experimental_default_int8_range"]
        args += ["--int8-range", f"{lo},{hi}"]
    return args


def compare(got: np.ndarray, want: np.ndarray) -> tuple[bool, float, str]:
    if got.size != want.size:
        return False, float("inf"), f"shape {list(got.shape)}, expected {list(want.shape)}"
    if got.dtype != want.dtype:
        return False, float("inf"), f"dtype {got.dtype}, expected {want.dtype}"
    got = got.reshape(want.shape)
    if not np.issubdtype(want.dtype, np.floating):
        bad = int(np.count_nonzero(got != want))
        return bad == 0, float(bad > 0), "exact" if bad == 0 else f"{bad}/{want.size} elements differ"
    max_ref = float(np.max(np.abs(want))) if want.size else 0.0
    diff = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
    rel = diff if max_ref == 0 else diff / max_ref
    argmax_ok = True
    if want.ndim >= 1 and want.shape[-1] > 1:
        argmax_ok = bool(np.all(np.argmax(got.reshape(-1, want.shape[-1]), axis=1)
                                == np.argmax(want.reshape(-1, want.shape[-1]), axis=1)))
    ok = rel <= FLOAT_TOLERANCE and argmax_ok
    msg = f"relative {rel:.2e}" + ("" if argmax_ok else ", argmax differs")
    return ok, rel, msg


def check_case(entry: dict, tmp: Path) -> dict:
    cid = f"{entry['group']}/{entry['case']}"
    d = FIXTURES / entry["dir"]
    row = {"case": cid}
    if cid in REFUSED:
        row.update(status="refused", detail="lce-js refuses this model on purpose (see CONVERTER_REFUSALS)")
        return row
    out = tmp / (cid.replace("/", "__") + ".tflite")
    cmd = ["node", str(ROOT / "bin" / "lce.js"), "convert", str(d / entry["files"]["h5"]), "-o", str(out),
           *cli_options(entry.get("converter_options") or {})]
    t0 = time.time()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    row["convert_seconds"] = round(time.time() - t0, 2)
    if r.returncode != 0 or not out.exists():
        row.update(status="convert_failed", detail=(r.stderr or r.stdout).strip().splitlines()[-1:] or [""])
        row["detail"] = row["detail"][0][:300]
        return row
    flat = out.read_bytes()
    row["tflite_bytes"] = len(flat)
    try:
        interp = Interpreter(flat, **(entry.get("interpreter_options") or {}))
    except Exception as e:  # the real runtime refusing our file is exactly what this checks
        row.update(status="load_failed", detail=f"{type(e).__name__}: {e}"[:300])
        return row
    worst, messages, ok_all = 0.0, [], True
    for i, names in enumerate(entry["files"]["inputs"]):
        sample = [np.load(d / n) for n in names]
        want = [np.load(d / n) for n in entry["files"]["lce_outputs"][i]]
        try:
            got = interp.predict(sample if len(sample) > 1 else sample[0])
        except Exception as e:
            row.update(status="run_failed", detail=f"sample {i}: {type(e).__name__}: {e}"[:300])
            return row
        got = got if isinstance(got, list) else [got]
        if len(got) != len(want):
            row.update(status="mismatch", detail=f"{len(got)} outputs, expected {len(want)}")
            return row
        for k, (g, w) in enumerate(zip(got, want)):
            ok, rel, msg = compare(np.asarray(g), w)
            worst = max(worst, rel)
            ok_all &= ok
            if not ok:
                messages.append(f"sample {i} output {k}: {msg}")
    row["max_relative_error"] = worst
    row.update(status="match" if ok_all else "mismatch", detail="; ".join(messages[:3]) if messages else "all outputs match")
    return row


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", help="comma-separated group/case ids")
    ap.add_argument("--group", help="comma-separated groups")
    a = ap.parse_args(argv)
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    cases = [c for c in manifest["cases"] if c.get("files", {}).get("h5")]
    if a.group:
        cases = [c for c in cases if c["group"] in a.group.split(",")]
    if a.case:
        cases = [c for c in cases if f"{c['group']}/{c['case']}" in a.case.split(",")]
    previous = {}
    if OUT.exists() and (a.case or a.group):
        previous = {r["case"]: r for r in json.loads(OUT.read_text()).get("results", [])}
    t0 = time.time()
    results = dict(previous)
    with tempfile.TemporaryDirectory(prefix="lcejs-check-") as tmp:
        for c in cases:
            row = check_case(c, Path(tmp))
            results[row["case"]] = row
            print(f"  {row['case']:45s} {row['status']:14s} {row.get('detail', '')}", flush=True)
    rows = [results[k] for k in sorted(results)]
    counts = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    report = {
        "description": "lce-js conversions of the corpus Keras files run in the real LCE interpreter, compared with "
                       "LCE's own conversion's outputs (tools/reference/check_lcejs_conversions.py)",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "interpreter": "larq_compute_engine.tflite.python.interpreter.Interpreter",
        "platform": f"{platform.system()} {platform.machine()}",
        "tolerance": {"float": f"max|diff|/max|ref| <= {FLOAT_TOLERANCE} and same argmax per row", "int": "exact"},
        "counts": counts,
        "seconds": round(time.time() - t0, 1),
        "results": rows,
    }
    OUT.write_text(json.dumps(report, indent=1) + "\n")
    print(f"[check-converter] {counts} -> {OUT.relative_to(ROOT)}")
    return 0 if set(counts) <= {"match", "refused"} else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
