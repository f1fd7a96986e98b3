"""Regenerate the oracle corpus under test/fixtures/ from nothing (deterministic seeds).

    python make_fixtures.py                    # every group
    python make_fixtures.py --only matrix      # one group (others stay as they are in manifest.json)
    python make_fixtures.py --only matrix --case bconv_k1,chain_same_one
    python make_fixtures.py --list

Usually run through `npm run fixtures [-- --only matrix]`, which also prepares the virtualenv.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import platform
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402  (sets TF_USE_LEGACY_KERAS before TensorFlow is imported)
from common import FIXTURES, write_json  # noqa: E402

GROUPS = ["matrix", "zoo", "mnist"]  # mnist last: it switches on TF op determinism
SCHEMA_VERSION = 1


def versions() -> dict:
    from importlib.metadata import version

    pkgs = ["tensorflow", "tf-keras", "larq", "larq-compute-engine", "larq-zoo", "numpy", "h5py"]
    return {"python": platform.python_version(), **{p: version(p) for p in pkgs}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated groups (" + ", ".join(GROUPS) + ")")
    ap.add_argument("--case", help="comma-separated case names within --only (keeps the group's other cases)")
    ap.add_argument("--list", action="store_true", help="list groups and cases, generate nothing")
    args = ap.parse_args()

    groups = GROUPS if not args.only else [g.strip() for g in args.only.split(",") if g.strip()]
    for g in groups:
        if g not in GROUPS:
            ap.error(f"unknown group {g!r}; groups are {GROUPS}")
    # Always in GROUPS order (mnist last), whatever order --only names them in. Every case starts
    # from a cleared Keras session and reseeded RNGs (common.seed_everything), so a case comes out
    # byte for byte the same alone (--case) as after any other cases.
    groups = [g for g in GROUPS if g in groups]
    only_cases = set(args.case.split(",")) if args.case else None

    if args.list:
        for g in groups:
            mod = importlib.import_module(g)
            print(g + ":", " ".join(c.name for c in getattr(mod, "CASES", [])) or "(generated)")
        return

    manifest_path = FIXTURES / "manifest.json"
    FIXTURES.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    timings: dict[str, float] = {}
    new_cases: list[dict] = []
    regenerated_groups = set(groups) if only_cases is None else set()

    def write_manifest() -> list[dict]:
        # Re-read the previous manifest each time, so a concurrent run of another group is kept.
        old_cases = []
        if manifest_path.exists() and (args.only or only_cases):
            old_cases = json.loads(manifest_path.read_text()).get("cases", [])
        replaced = {(c["group"], c["case"]) for c in new_cases}
        kept = [c for c in old_cases
                if (c["group"], c["case"]) not in replaced and c["group"] not in regenerated_groups]
        cases = sorted(kept + new_cases, key=lambda c: (GROUPS.index(c["group"]), c["case"]))
        write_json(manifest_path, {
            "schema_version": SCHEMA_VERSION,
            "description": "Oracle corpus made by real Keras/Larq/LCE; see tools/reference/README.md for the schema.",
            "provenance": {
                "command": "npm run fixtures" + (f" -- {' '.join(sys.argv[1:])}" if sys.argv[1:] else ""),
                "generator": "tools/reference/make_fixtures.py",
                "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "versions": versions(),
                "platform": f"{platform.system()} {platform.machine()}",
                "interpreter": "larq_compute_engine.tflite.python.interpreter.Interpreter (x86-64 wheel)",
                "seconds": {**timings, "total": round(time.time() - t0, 1)},
            },
            "tolerances": {
                "lce_float": "LCE float outputs: compare with rtol 1e-5 / atol 1e-5 scaled by |multiplier|·K "
                             "(fused multiply-add and folding order differ, lce-ops.md §6.5)",
                "lce_int8": "int8 outputs: off by at most 1 LSB (rounding ties, §3.3)",
                "lce_bitpacked": "int32 bitpacked outputs: exact",
                "keras_vs_lce": "Keras runs the float graph; a value near a sign flip can binarize differently, so "
                                "deep models may differ a lot. keras_vs_lce_max_abs_diff records what was observed.",
            },
            "cases": cases,
        })
        return cases

    for g in groups:
        tg = time.time()
        print(f"[fixtures] group {g}", flush=True)
        if only_cases is None and (FIXTURES / g).exists():
            shutil.rmtree(FIXTURES / g)  # regenerate from nothing
        mod = importlib.import_module(g)
        # The manifest is rewritten after every case: an interrupted run leaves a consistent corpus.
        for entry in mod.generate(only_cases=only_cases, log=lambda m: print(m, flush=True)):
            new_cases.append(entry)
            timings[g] = round(time.time() - tg, 1)
            write_manifest()
        timings[g] = round(time.time() - tg, 1)
        print(f"[fixtures] group {g}: {timings[g]} s", flush=True)
    cases = write_manifest()
    total = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    print(f"[fixtures] {len(cases)} cases, {total / 1e6:.1f} MB in test/fixtures, {time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
