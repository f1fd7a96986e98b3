"""Float twins of the zoo benchmark models, for `npm run bench:compare`.

A float twin is what a user deploys without a BNN engine: the same Keras architecture, shapes and
weights, with every Larq quantizer removed (QuantConv2D -> Conv2D, QuantDense -> Dense, ...), so
weights and activations are plain float32. The latent weights of the corpus are already the
quantized values (±1 or ±scale per channel), so the twin computes the same layers on unbinarized
activations: its outputs differ from the BNN's, and are compared only among the float engines
(against the Keras twin output written here).

Exports, per model, into bench/models/twins/<case>/ (git-ignored, ~50-200 MB per model; made on
demand and reused while the source .h5 is unchanged):
    twin.onnx              tf2onnx, opset 15, input NHWC [1,H,W,3]
    tfjs/model.json + *.bin  TF.js graph model (tensorflowjs converter)
    keras_twin_output.npy  Keras output of the twin for the case's input_0.npy
    meta.json              source .h5 size/mtime, versions, input/output names, seconds

    python float_twins.py QuickNetSmall QuickNet ...   (cases of group "zoo"; default: the four bench models)
"""

from __future__ import annotations

import json
import os
import sys
import time
import types
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import larq  # noqa: E402,F401  (registers the Larq layers for load_model)

tf.get_logger().setLevel("ERROR")

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "test" / "fixtures"
OUT = REPO / "bench" / "models" / "twins"
DEFAULT_CASES = ["QuickNetSmall", "QuickNet", "QuickNetLarge", "BiRealNet"]
# Bumped whenever the twin recipe changes, so cached twins are remade.
RECIPE = 2
QUANT_KEYS = ("input_quantizer", "kernel_quantizer", "depthwise_quantizer", "pointwise_quantizer", "metrics",
              "pad_values")


def import_tfjs_converter():
    """tensorflowjs 4.22 imports tensorflow_decision_forests, tensorflow_hub and jax.experimental.jax2tf at
    module level, but the Keras -> graph-model path never calls them, and their wheels pin TF/Keras/numpy
    versions that would break this venv. Empty modules stand in for the missing ones (tensorflowjs itself is
    installed with pip --no-deps, see requirements-bench.txt)."""
    for name in ("tensorflow_decision_forests", "tensorflow_hub", "jax", "jax.experimental",
                 "jax.experimental.jax2tf"):
        if name not in sys.modules:
            try:
                __import__(name)
            except ImportError:
                sys.modules[name] = types.ModuleType(name)
    if not hasattr(sys.modules["jax.experimental"], "jax2tf"):
        sys.modules["jax.experimental"].jax2tf = sys.modules["jax.experimental.jax2tf"]
    from tensorflowjs.converters import tf_saved_model_conversion_v2 as conv
    return conv


def float_config(cfg: dict) -> tuple[dict, list[str]]:
    """The Functional config with every Larq layer replaced by its Keras float counterpart."""
    changed = []
    for layer in cfg["layers"]:
        cls = layer["class_name"]
        lc = layer["config"]
        if cls.startswith("Quant") and hasattr(tf.keras.layers, cls[len("Quant"):]):
            layer["class_name"] = cls[len("Quant"):]
            for k in QUANT_KEYS:
                lc.pop(k, None)
            for k in ("kernel_constraint", "depthwise_constraint", "pointwise_constraint"):
                if k in lc:
                    lc[k] = None
            layer.pop("module", None)
            layer.pop("registered_name", None)
            changed.append(cls)
        elif layer.get("module", "") .startswith("larq"):
            raise SystemExit(f"float twin: no float counterpart for Larq layer {cls} ({lc.get('name')})")
    return cfg, changed


def make_twin(case: dict) -> tuple[tf.keras.Model, tf.keras.Model, dict[str, int]]:
    src = FIXTURES / case["dir"] / case["files"]["h5"]
    model = tf.keras.models.load_model(src, compile=False)
    cfg, changed = float_config(model.get_config())
    twin = tf.keras.Model.from_config(cfg)
    twin.set_weights(model.get_weights())
    # The corpus measured BatchNorm statistics on the binary activations; on float activations they would let
    # values grow layer after layer until the softmax saturates to one-hot (and every float engine "agrees"
    # trivially). One training-mode pass with momentum 0 re-measures them on the twin's own activations, as the
    # corpus does for the BNN (common.randomize_weights), so the twin is a numerically realistic float network.
    rng = np.random.default_rng(case["seed"])
    calib = rng.normal(0, 1, (4, *case["keras"]["inputs"][0]["shape"][1:])).astype(np.float32)
    bns = [l for l in twin.layers if isinstance(l, tf.keras.layers.BatchNormalization)]
    saved = [l.momentum for l in bns]
    for l in bns:
        l.momentum = 0.0
    twin(calib, training=True)
    for l, m in zip(bns, saved):
        l.momentum = m
    census: dict[str, int] = {}
    for c in changed:
        census[c] = census.get(c, 0) + 1
    return model, twin, census


def export(case: dict) -> dict:
    name = case["case"]
    out = OUT / name
    src = FIXTURES / case["dir"] / case["files"]["h5"]
    st = src.stat()
    meta_path = out / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("source") == {"size": st.st_size, "mtime": st.st_mtime} and meta.get("recipe") == RECIPE:
            print(f"[twins] {name}: up to date", flush=True)
            return meta
    t0 = time.time()
    out.mkdir(parents=True, exist_ok=True)
    _, twin, census = make_twin(case)
    shape = [1, *case["keras"]["inputs"][0]["shape"][1:]]
    x = np.load(FIXTURES / case["dir"] / case["files"]["inputs"][0][0]).astype(np.float32)
    y = twin(x, training=False).numpy().astype(np.float32)
    np.save(out / "keras_twin_output.npy", y)
    top = float(np.max(y))

    import tf2onnx
    spec = (tf.TensorSpec(shape, tf.float32, name="input"),)
    onnx_model, _ = tf2onnx.convert.from_keras(twin, input_signature=spec, opset=15,
                                                output_path=str(out / "twin.onnx"))
    onnx_in = [i.name for i in onnx_model.graph.input]
    onnx_out = [o.name for o in onnx_model.graph.output]

    conv = import_tfjs_converter()
    tfjs_dir = out / "tfjs"
    if tfjs_dir.exists():
        for f in tfjs_dir.iterdir():
            f.unlink()
    conv.convert_keras_model_to_graph_model(twin, str(tfjs_dir))
    import tensorflowjs
    meta = {
        "case": name,
        "source": {"size": st.st_size, "mtime": st.st_mtime},
        "recipe": RECIPE,
        "input_shape": shape,
        "params": int(twin.count_params()),
        "replaced_layers": census,
        "onnx": {"file": "twin.onnx", "inputs": onnx_in, "outputs": onnx_out, "opset": 15},
        "tfjs": {"file": "tfjs/model.json"},
        "keras_output": "keras_twin_output.npy",
        "versions": {"tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__,
                     "tensorflowjs": tensorflowjs.__version__},
        "keras_output_max": top,
        "seconds": round(time.time() - t0, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"[twins] {name}: {meta['params'] / 1e6:.1f} M params, {census}, Keras output max {top:.3g}, "
          f"{meta['seconds']} s", flush=True)
    return meta


def main(argv: list[str]) -> None:
    wanted = argv or DEFAULT_CASES
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    cases = {c["case"]: c for c in manifest["cases"] if c["group"] in ("zoo", "matrix", "mnist")}
    for name in wanted:
        case = cases.get(name)
        if case is None or not case["files"].get("h5"):
            raise SystemExit(f"float twins: no corpus case {name} with an .h5 (have: {', '.join(sorted(cases))})")
        export(case)


if __name__ == "__main__":
    main(sys.argv[1:])
