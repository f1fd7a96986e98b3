"""Does the real LCE runtime accept what lce-js's converter writes, and answer like LCE's own conversion?

Reads DIR/plan.json written by scripts/convert-corpus.ts (every corpus Keras file converted by lce-js in one Node
process, with the case's converter options; refusals and what the oracle expects per case, from
test/converter-expectations.ts). Loads each converted .tflite in LCE's own interpreter
(larq_compute_engine.tflite.python.interpreter.Interpreter, with the case's interpreter options), runs the corpus
inputs and compares with lce_output_*.npy (what LCE's own conversion gave). Tolerances as in test/compare.ts:
integer outputs exact; float outputs max|diff| / max|ref| <= 1e-4 and the same argmax on every row of the last axis.

Status per case: match; refused (an expected refusal); justified (a listed BatchNorm-fold-rounding case: our graph
is LCE's but for the BN-folded constants, and our file with LCE's constant values, DIR/*.lce-constants.tflite,
gives LCE's outputs bit for bit in LCE's interpreter); mismatch (known: listed in KNOWN_MISMATCHES); anything
else (convert_failed, load_failed, run_failed, an unexpected refusal or mismatch) fails the run.
Writes test/fixtures/converter-check.json (with --case/--group, updates those rows only).

Run: npm run fixtures:check-converter [-- --case zoo/QuickNet,matrix/bconv_k1] [--group zoo]
(this script directly: check_lcejs_conversions.py --plan DIR/plan.json [--partial])
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
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
OK_STATUSES = {"match", "refused", "justified"}


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


def run_file(flat: bytes, entry: dict) -> dict:
    """Runs `flat` in LCE's interpreter on the case's inputs: {status, max_relative_error, bit_exact, detail}."""
    d = FIXTURES / entry["dir"]
    try:
        interp = Interpreter(flat, **(entry.get("interpreter_options") or {}))
    except Exception as e:  # the real runtime refusing our file is exactly what this checks
        return {"status": "load_failed", "detail": f"{type(e).__name__}: {e}"[:300]}
    worst, messages, ok_all, exact = 0.0, [], True, True
    for i, names in enumerate(entry["files"]["inputs"]):
        sample = [np.load(d / n) for n in names]
        want = [np.load(d / n) for n in entry["files"]["lce_outputs"][i]]
        try:
            got = interp.predict(sample if len(sample) > 1 else sample[0])
        except Exception as e:
            return {"status": "run_failed", "detail": f"sample {i}: {type(e).__name__}: {e}"[:300]}
        got = got if isinstance(got, list) else [got]
        if len(got) != len(want):
            return {"status": "mismatch", "detail": f"{len(got)} outputs, expected {len(want)}"}
        for k, (g, w) in enumerate(zip(got, want)):
            g = np.asarray(g)
            ok, rel, msg = compare(g, w)
            exact &= g.dtype == w.dtype and g.size == w.size and bool(np.array_equal(g.reshape(w.shape), w))
            worst = max(worst, rel)
            ok_all &= ok
            if not ok:
                messages.append(f"sample {i} output {k}: {msg}")
    return {"status": "match" if ok_all else "mismatch", "max_relative_error": worst, "bit_exact": exact,
            "detail": "; ".join(messages[:3]) if messages else "all outputs match"}


def check_case(p: dict, entry: dict, plan_dir: Path) -> dict:
    expected = p["expected"]
    row = {"case": p["case"], "expected": expected["kind"]}
    if expected.get("reason"):
        row["reason"] = expected["reason"]
    row["convert_seconds"] = p.get("convert_seconds")
    if p["status"] != "converted":
        ok = p["status"] == "refused" and expected["kind"] == "refused"
        row.update(status="refused" if ok else "convert_failed", detail=p.get("detail", ""))
        return row
    if expected["kind"] == "refused":
        row.update(status="not_refused", detail="lce-js converted a model it is expected to refuse")
        return row
    row["tflite_bytes"] = p.get("tflite_bytes")
    row["graph"] = p.get("graph")
    r = run_file((plan_dir / p["file"]).read_bytes(), entry)
    row.update(r)
    if r["status"] == "mismatch" and expected["kind"] == "bn_fold_rounding":
        if not p.get("lce_constants_file"):
            row["detail"] += "; the graph differs from LCE's by more than BatchNorm-fold rounding"
            return row
        s = run_file((plan_dir / p["lce_constants_file"]).read_bytes(), entry)
        row["with_lce_constants"] = {k: s[k] for k in ("status", "max_relative_error", "bit_exact") if k in s}
        if s["status"] == "match" and s.get("bit_exact"):
            row["status"] = "justified"
            row["detail"] = f"BatchNorm-fold rounding: {row['detail']}; with LCE's BN-folded constants: bit-exact"
        else:
            row["detail"] += f"; with LCE's BN-folded constants: {s['detail']}"
    return row


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plan", required=True, help="plan.json written by scripts/convert-corpus.ts")
    ap.add_argument("--partial", action="store_true", help="update only the plan's rows of converter-check.json")
    a = ap.parse_args(argv)
    plan_path = Path(a.plan)
    plan = json.loads(plan_path.read_text())
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    entries = {f"{c['group']}/{c['case']}": c for c in manifest["cases"]}
    previous = {}
    if OUT.exists() and a.partial:
        previous = {r["case"]: r for r in json.loads(OUT.read_text()).get("results", [])}
    t0 = time.time()
    results = dict(previous)
    for p in plan["cases"]:
        row = check_case(p, entries[p["case"]], plan_path.parent)
        results[row["case"]] = row
        print(f"  {row['case']:45s} {row['status']:14s} {row.get('detail', '')[:120]}", flush=True)
    rows = [results[k] for k in sorted(results) if k in entries]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    unexpected = [r["case"] for r in rows
                  if r["status"] not in OK_STATUSES and not (r["status"] == "mismatch" and r.get("expected") == "known_mismatch")]
    report = {
        "description": "lce-js conversions of the corpus Keras files run in the real LCE interpreter, compared with "
                       "LCE's own conversion's outputs (scripts/convert-corpus.ts, then "
                       "tools/reference/check_lcejs_conversions.py; npm run fixtures:check-converter)",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "interpreter": "larq_compute_engine.tflite.python.interpreter.Interpreter",
        "platform": f"{platform.system()} {platform.machine()}",
        "tolerance": {"float": f"max|diff|/max|ref| <= {FLOAT_TOLERANCE} and same argmax per row", "int": "exact"},
        "statuses": {
            "match": "outputs match LCE's conversion's",
            "refused": "lce-js refuses the model on purpose (CONVERTER_REFUSALS, with the reason)",
            "justified": "outputs differ only through BatchNorm-fold rounding: the graph is LCE's but for the BN-folded "
                         "constants (within the ulps bound) and with LCE's values in them the file gives LCE's outputs "
                         "bit for bit in LCE's interpreter (reason in each row)",
            "mismatch": "outputs differ; allowed only for KNOWN_MISMATCHES (issue 5 stays open on them)",
        },
        "counts": counts,
        "convert_seconds": plan.get("seconds"),
        "check_seconds": round(time.time() - t0, 1),
        "results": rows,
    }
    OUT.write_text(json.dumps(report, indent=1) + "\n")
    print(f"[check-converter] {counts} -> {OUT.relative_to(ROOT)}")
    if unexpected:
        print(f"[check-converter] unexpected: {', '.join(unexpected)}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
