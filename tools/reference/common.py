"""Shared machinery of the reference oracle: seeding, weight randomisation, saving one case
(Keras .h5, LCE .tflite, inputs, LCE and Keras outputs) and describing it for manifest.json.

Real Keras/Larq/LCE run here; everything they produce is committed under test/fixtures/ so
that the TypeScript tests never need Python.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zlib
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # Larq needs tf-keras (Keras 2)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import larq as lq  # noqa: E402
import larq_compute_engine as lce  # noqa: E402
from larq_compute_engine.mlir.python import tflite_schema  # noqa: E402
from tf_keras.src.saving import serialization_lib  # noqa: E402
# The 0.16.0 wheel ships the interpreter here, not under larq_compute_engine.testing.
from larq_compute_engine.tflite.python.interpreter import Interpreter  # noqa: E402

tf.get_logger().setLevel("ERROR")

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "test" / "fixtures"
N_INPUTS = 3

# Quantizers whose forward pass is sign(x) with sign(0) = +1: replacing their latent weights by
# ±1 leaves the quantized kernel, and so every inference result, unchanged.
PURE_SIGN_QUANTIZERS = {"SteSign", "ApproxSign", "SwishSign", "ste_sign", "approx_sign", "swish_sign"}


def case_seed(group: str, case: str) -> int:
    """A stable per-case seed, so regenerating one group or case never shifts another's data."""
    return int.from_bytes(hashlib.sha256(f"{group}/{case}".encode()).digest()[:4], "little") & 0x7FFFFFFF


def seed_everything(seed: int) -> np.random.Generator:
    """Start a case from a blank process-global state, so that it comes out the same whether it is
    generated alone (`--case`) or after any other cases in the same process.

    What leaks from one case into the next otherwise: Keras's layer-name counters (`dense`, `dense_1`,
    ...; the names end up in the .h5 config, the .tflite tensor and signature names and the
    manifest's input/output names) and the Functional-API graph: `clear_session()` resets both.
    Python's `random`, NumPy's global RNG and TensorFlow's global seed with its op-seed counter
    (unseeded Keras initializers, shuffling in `fit`): `set_random_seed`, after the clear. Every random
    number a case draws itself comes from the returned Generator, never from a global RNG.
    (mnist's `enable_op_determinism` is the one global switch left on; make_fixtures.py runs mnist last
    and mnist.py switches it off again.)
    """
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)


def quantizer_name(q) -> str | None:
    if q is None:
        return None
    if isinstance(q, str):
        return q
    # zoo.FunctionQuantizer wraps a plain-function quantizer: report the function's name.
    return getattr(q, "fn_name", None) or getattr(q, "__name__", None) or type(q).__name__


def _coarse_normal(rng: np.random.Generator, shape, std: float) -> np.ndarray:
    """Normal values rounded to std/16 steps: as random as a test needs, but they gzip well."""
    step = std / 16.0
    return (np.round(rng.normal(0.0, std, size=shape) / step) * step).astype(np.float32)


def randomize_weights(model: tf.keras.Model, rng: np.random.Generator, calib_input: np.ndarray | None = None,
                      neg_gamma_fraction: float = 0.3, magnitude_scale: str = "channel") -> None:
    """Give every layer random but meaningful weights.

    Binary (pure sign) kernels get latent weights of exactly ±1. Float kernels get He-scaled
    normals. BatchNorm gets moving statistics measured on `calib_input` (so that the sign of its
    output is genuinely data dependent, also deep inside zoo models) and then perturbed, gamma
    of random sign (about `neg_gamma_fraction` negative) and a random beta.
    Magnitude-aware kernels get ±scale latents, one scale per output channel
    (`magnitude_scale="channel"`) or one per layer ("layer": ~1.3 instead of ~2 bits per weight in
    the gzipped .h5, for the large zoo models).
    """
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            continue
        kq = quantizer_name(getattr(layer, "kernel_quantizer", None))
        for w in layer.weights:
            name = w.name.split("/")[-1].split(":")[0]
            shape = tuple(w.shape)
            if name in ("kernel", "depthwise_kernel", "pointwise_kernel"):
                signs = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
                if kq in PURE_SIGN_QUANTIZERS:
                    w.assign(signs.astype(np.float32))
                elif kq is not None and ("magnitude" in kq.lower() or "xnor" in kq.lower()):
                    # sign(w)·mean|w| per output channel: ±scale_o latents give that result
                    # exactly and stay small in a gzipped .h5.
                    scale = np.round(rng.uniform(0.01, 0.1, shape[-1] if magnitude_scale == "channel" else 1) * 256) / 256
                    w.assign((signs * scale).astype(np.float32))
                else:
                    fan_in = int(np.prod(shape[:-1])) if name != "depthwise_kernel" else int(np.prod(shape[:2]))
                    w.assign(_coarse_normal(rng, shape, float(np.sqrt(2.0 / max(fan_in, 1)))))
            elif name == "bias":
                w.assign(_coarse_normal(rng, shape, 0.1))
    bns = [l for l in model.layers if isinstance(l, tf.keras.layers.BatchNormalization)]
    if not bns:
        return
    if calib_input is not None:
        # One training-mode pass with momentum 0 sets every moving statistic to the batch
        # statistic of its real input, layer after layer, in a single forward pass.
        saved = [(l, l.momentum) for l in bns]
        for l in bns:
            l.momentum = 0.0
        model(calib_input, training=True)
        for l, m in saved:
            l.momentum = m
    for l in bns:
        n = l.moving_mean.shape[0]
        mean = l.moving_mean.numpy() if calib_input is not None else np.zeros(n, np.float32)
        var = l.moving_variance.numpy() if calib_input is not None else np.ones(n, np.float32)
        std = np.sqrt(np.maximum(var, 1e-3))
        l.moving_mean.assign((mean + rng.normal(0, 0.3, n) * std).astype(np.float32))
        l.moving_variance.assign((np.maximum(var, 1e-3) * rng.uniform(0.6, 1.6, n)).astype(np.float32))
        if l.gamma is not None:
            sign = np.where(rng.random(n) < neg_gamma_fraction, -1.0, 1.0)
            l.gamma.assign((sign * rng.uniform(0.5, 1.5, n)).astype(np.float32))
        if l.beta is not None:
            l.beta.assign(rng.normal(0, 0.3, n).astype(np.float32))


def gzip_h5(path: Path) -> None:
    """Rewrite every dataset of an .h5 file with gzip+shuffle (attributes, hence the Keras
    model config, are copied verbatim). tf-keras reads the result unchanged."""
    tmp = path.with_suffix(".gz.h5")

    def copy(src: h5py.Group, dst: h5py.Group) -> None:
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        for name, item in src.items():
            if isinstance(item, h5py.Group):
                copy(item, dst.create_group(name))
            else:
                data = item[()]
                if item.shape and item.size >= 64:
                    # One chunk per dataset: small default chunks cost ~20 % more on ±1 kernels.
                    ds = dst.create_dataset(name, data=data, compression="gzip", compression_opts=9, shuffle=True,
                                            chunks=data.shape)
                else:
                    ds = dst.create_dataset(name, data=data)
                for k, v in item.attrs.items():
                    ds.attrs[k] = v

    # HDF5 1.10 object formats: compact groups instead of a symbol-table B-tree and heap per
    # group (-30 % on a 150-layer model); h5py, tf-keras and h5wasm all read them.
    with h5py.File(path, "r") as src, h5py.File(tmp, "w", track_order=True, libver=("v110", "latest")) as dst:
        copy(src, dst)
    tmp.replace(path)


def tflite_ops(buf: bytes) -> dict[str, int]:
    """Op type → count over all subgraphs (custom ops by custom_code, builtins by enum name)."""
    model = tflite_schema.ModelT.InitFromPackedBuf(buf, 0)
    names = {v: k for k, v in vars(tflite_schema.BuiltinOperator).items() if not k.startswith("_")}
    counts: dict[str, int] = {}
    for sg in model.subgraphs or []:
        for op in sg.operators or []:
            code = model.operatorCodes[op.opcodeIndex]
            builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
            if builtin == tflite_schema.BuiltinOperator.CUSTOM:
                name = code.customCode.decode() if isinstance(code.customCode, bytes) else code.customCode
            else:
                name = names.get(builtin, str(builtin))
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def _str(s) -> str:
    return s.decode() if isinstance(s, bytes) else s


def tflite_io_names(buf: bytes) -> tuple[list[str], list[str]]:
    """Names of subgraph-0 inputs/outputs, in tensor-index order: the signature-def key when the
    file has one (Keras layer names), else the tensor name."""
    model = tflite_schema.ModelT.InitFromPackedBuf(buf, 0)
    sg = model.subgraphs[0]
    sig_in, sig_out = {}, {}
    for sd in model.signatureDefs or []:
        for tm in sd.inputs or []:
            sig_in[tm.tensorIndex] = _str(tm.name)
        for tm in sd.outputs or []:
            sig_out[tm.tensorIndex] = _str(tm.name)
    return ([sig_in.get(i, _str(sg.tensors[i].name)) for i in sg.inputs],
            [sig_out.get(i, _str(sg.tensors[i].name)) for i in sg.outputs])


def _scalar(v):
    if v is None:
        return None
    if isinstance(v, (list, tuple, np.ndarray)):
        return [float(x) for x in v]
    return float(v) if isinstance(v, float) or isinstance(v, np.floating) else int(v)


def _as_list(x):
    return x if isinstance(x, list) else [x]


def keras_input_from_lce(x: np.ndarray, scale, zero_point) -> np.ndarray:
    """The float input Keras sees for an int8 LCE input: the dequantised value."""
    if x.dtype == np.int8:
        return ((x.astype(np.float32) - float(zero_point)) * float(scale)).astype(np.float32)
    return x


def save_case(group: str, case: str, model: tf.keras.Model, *, seed: int, description: str,
              converter_options: dict | None = None, inputs: list[list[np.ndarray]] | None = None,
              rng: np.random.Generator | None = None, save_keras_v3: bool = False,
              h5: bool = True, notes: list[str] | None = None, extra: dict | None = None,
              input_range: tuple[float, float] | None = None,
              interpreter_options: dict | None = None, n_inputs: int = N_INPUTS) -> dict:
    """Convert `model` with LCE, run both LCE and Keras on N_INPUTS inputs, write the case
    folder and return its manifest entry."""
    out = FIXTURES / group / case
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    converter_options = dict(converter_options or {})
    conv_kwargs = {}
    for k, v in converter_options.items():
        if k in ("inference_input_type", "inference_output_type"):
            conv_kwargs[k] = {"float32": tf.float32, "int8": tf.int8}[v]
        elif k == "experimental_default_int8_range":
            conv_kwargs[k] = tuple(v)
        else:
            conv_kwargs[k] = v
    flat = lce.convert_keras_model(model, **conv_kwargs)
    (out / "lce.tflite").write_bytes(flat)
    files = {"tflite": "lce.tflite"}
    if h5:
        model.save(out / "model.h5", save_format="h5", include_optimizer=False)
        gzip_h5(out / "model.h5")
        # Must still load after gzip (Lambda layers are our own trusted code: no safe mode).
        with serialization_lib.SafeModeScope(False):
            tf.keras.models.load_model(out / "model.h5", compile=False)
        files["h5"] = "model.h5"
    if save_keras_v3:
        model.save(out / "model.keras", save_format="keras_v3")  # the v3 format takes no include_optimizer; uncompiled models carry none
        files["keras"] = "model.keras"

    auto_interp = interpreter_options is None
    interpreter_options = dict(interpreter_options or {})
    interp = Interpreter(flat, **interpreter_options)
    in_types = [np.dtype(t) for t in interp.input_types]
    out_types = [np.dtype(t) for t in interp.output_types]
    in_names, out_names = tflite_io_names(flat)
    rng = rng or np.random.default_rng(seed)
    if inputs is None:
        inputs = []
        for _ in range(n_inputs):
            sample = []
            for t, shp in zip(in_types, interp.input_shapes):
                if t == np.int8:
                    sample.append(rng.integers(-128, 128, size=shp, dtype=np.int8))
                elif input_range is not None:
                    sample.append(rng.uniform(*input_range, size=shp).astype(np.float32))
                else:
                    sample.append(rng.normal(0, 1, size=shp).astype(np.float32))
            inputs.append(sample)

    keras_inputs = model.inputs
    # TFLite orders inputs/outputs by signature name; map them to Keras order by name.
    multi_in = len(in_types) > 1
    multi_out = len(out_types) > 1
    file_inputs, file_lce, file_keras = [], [], []
    max_diff = [0.0] * len(out_types)
    for i, sample in enumerate(inputs):
        names = []
        for k, x in enumerate(sample):
            fn = f"input_{i}_{k}.npy" if multi_in else f"input_{i}.npy"
            np.save(out / fn, x)
            names.append(fn)
        file_inputs.append(names)
        try:
            lce_out = _as_list(interp.predict(sample if multi_in else sample[0]))
        except RuntimeError:
            # The x86-64 optimized BGEMM kernel refuses grouped binary convolutions; LCE's
            # reference kernel runs them. Only when the caller left the options to us.
            if not auto_interp or interpreter_options:
                raise
            interpreter_options = {"use_reference_bconv": True}
            interp = Interpreter(flat, **interpreter_options)
            lce_out = _as_list(interp.predict(sample if multi_in else sample[0]))
        kin = [keras_input_from_lce(x, s, z) for x, s, z in
               zip(sample, interp.input_scales, interp.input_zero_points)]
        # An eager call: model.predict would trace a tf.function per case, which costs more than it runs.
        keras_out = [t.numpy() for t in _as_list(model(kin if multi_in else kin[0], training=False))]
        keras_out = _order_keras_outputs(model, keras_out, out_names)
        ln, kn = [], []
        for k, (lo, ko) in enumerate(zip(lce_out, keras_out)):
            lfn = f"lce_output_{i}_{k}.npy" if multi_out else f"lce_output_{i}.npy"
            kfn = f"keras_output_{i}_{k}.npy" if multi_out else f"keras_output_{i}.npy"
            np.save(out / lfn, lo)
            np.save(out / kfn, ko.astype(np.float32))
            ln.append(lfn)
            kn.append(kfn)
            lo_f = lo.astype(np.float32)
            if lo.dtype == np.int8 and interp.output_scales[k] is not None:
                lo_f = (lo_f - interp.output_zero_points[k]) * interp.output_scales[k]
            max_diff[k] = max(max_diff[k], float(np.max(np.abs(lo_f - ko.reshape(lo_f.shape)))) if lo.size else 0.0)
        file_lce.append(ln)
        file_keras.append(kn)

    notes = list(notes or [])
    cross = reference_bconv_cross_check(flat, interpreter_options, inputs, file_lce, out)
    if cross is not None and cross > 1e-4:
        notes.append(f"LCE's optimized (default) bconv kernels and its reference kernels "
                     f"(use_reference_bconv=True) disagree here: max |diff| {cross:.3g} over the samples; "
                     f"lce_output_* are from the default kernels")

    def tensors(names, shapes, types, scales, zps):
        return [{"name": n, "shape": [int(d) for d in s], "dtype": str(t),
                 "scale": _scalar(sc), "zero_point": _scalar(zp)}
                for n, s, t, sc, zp in zip(names, shapes, types, scales, zps)]

    entry = {
        "group": group,
        "case": case,
        "description": description,
        "seed": seed,
        "dir": f"{group}/{case}",
        "files": {
            **files,
            "inputs": file_inputs,
            "lce_outputs": file_lce,
            "keras_outputs": file_keras,
        },
        "inputs": tensors(in_names, interp.input_shapes, in_types, interp.input_scales, interp.input_zero_points),
        "outputs": tensors(out_names, interp.output_shapes, out_types, interp.output_scales, interp.output_zero_points),
        "keras": {
            "inputs": [{"name": t.name.split(":")[0], "shape": [None if d is None else int(d) for d in t.shape]}
                       for t in keras_inputs],
            "params": int(model.count_params()),
        },
        "lce_ops": tflite_ops(flat),
        "converter_options": converter_options,
        "interpreter_options": interpreter_options,
        "keras_vs_lce_max_abs_diff": max_diff,
        "lce_reference_bconv_max_abs_diff": cross,
        "notes": notes,
        "sizes": {p.name: p.stat().st_size for p in sorted(out.iterdir())},
    }
    if extra:
        entry.update(extra)
    return entry


def reference_bconv_cross_check(flat: bytes, interpreter_options: dict, inputs, file_lce, out: Path) -> float | None:
    """Max |diff| between the stored LCE outputs and LCE's reference bconv kernels on the same
    inputs (None where the case already runs them, has no LceBconv2d, or they refuse it)."""
    if interpreter_options.get("use_reference_bconv") or "LceBconv2d" not in tflite_ops(flat):
        return None
    try:
        ref = Interpreter(flat, use_reference_bconv=True)
    except RuntimeError:  # e.g. same-zero with odd channels_in, which only the default kernels run
        return None
    worst = 0.0
    for sample, names in zip(inputs, file_lce):
        got = _as_list(ref.predict(sample if len(sample) > 1 else sample[0]))
        for g, n in zip(got, names):
            worst = max(worst, float(np.max(np.abs(g.astype(np.float64) - np.load(out / n).astype(np.float64)))) if g.size else 0.0)
    return worst


def _order_keras_outputs(model, keras_out, tflite_out_names):
    """Put Keras outputs in the .tflite's output order (matched by output layer name)."""
    if len(keras_out) <= 1:
        return keras_out
    keras_names = [t.name.split("/")[0].split(":")[0] for t in model.outputs]
    order = []
    for tn in tflite_out_names:
        match = [j for j, kn in enumerate(keras_names) if kn == tn] or [j for j, kn in enumerate(keras_names) if kn in tn]
        if len(match) != 1:
            raise RuntimeError(f"cannot match tflite output {tn!r} to Keras outputs {keras_names}")
        order.append(match[0])
    return [keras_out[j] for j in order]


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=1, sort_keys=False) + "\n")
