"""Group "zoo": every Larq Zoo architecture, weights=None, then random weights and random BN
statistics (fixed seeds). Pretrained weights cannot be downloaded here; they are not needed to
test a runtime against LCE.

QuickNet{Small,,Large} are built at 224x224 with 1000 classes (the benchmark models). The
others are built at the smallest input size they accept (tried in ascending order) with 10
classes. Where a model's size would break the corpus budget, its widest layers are narrowed
by editing the Keras config ("width_reduction" in the manifest says exactly how).
"""

from __future__ import annotations

import shutil

import numpy as np
import tensorflow as tf
import larq as lq
import larq_zoo as lqz

from tf_keras.src.saving import serialization_lib
from zookeeper import factory

from common import FIXTURES, case_seed, randomize_weights, save_case, seed_everything

GROUP = "zoo"


class ZooCase:
    def __init__(self, name, fn, sizes, classes, width=None, n_inputs=3, width_note=None):
        self.name, self.fn, self.sizes, self.classes, self.width, self.n_inputs = name, fn, sizes, classes, width, n_inputs
        self.width_note = width_note


def halve(*widths: int) -> dict[int, int]:
    return {w: w // 2 for w in widths}


@factory
class _MeliusNet22HalfFactory(lqz.literature.meliusnet.MeliusNet22Factory):
    """MeliusNet22 at half width. Its blocks hard-code 64 new channels (the improvement block's
    Lambda pads by `f_in - 64`, a closure a config edit cannot reach), so the narrowing is done
    in the factory: growth 64 -> 32, transitions (160, 224, 256) -> (80, 112, 128)."""

    growth = 32
    transition_features = (80, 112, 128, None)

    # The zoo wraps tf.split / tf.concat / its merge in Lambda layers (larq_zoo.core.utils.TFOpLayer),
    # which tf-keras cannot load back from an .h5 ("'str' object is not callable"). Calling the
    # same TF ops on Keras tensors makes TFOpLambda layers instead: the same graph, and they load.
    def group_conv(self, x, filters, kernel, groups, name=None):
        splits = tf.split(x, groups, axis=-1, name=f"{name}_split")
        ys = [tf.keras.layers.Conv2D(filters // groups, kernel, padding="same", use_bias=False,
                                     kernel_initializer=self.kernel_initializer, name=f"{name}_conv{i}")(xs)
              for i, xs in enumerate(splits)]
        return tf.concat(ys, axis=-1, name=f"{name}_concat")

    def dense_block(self, x, name=None):
        w = self.norm(x, name=f"{name}_bn")
        w = self.quant_conv(w, self.growth, 3, name=f"{name}_binconv")
        return tf.concat([x, w], axis=-1, name=f"{name}_concat")

    def improvement_block(self, x, name=None):
        w = self.norm(x, name=f"{name}_bn")
        w = self.quant_conv(w, self.growth, 3, name=f"{name}_binconv")
        pad = int(x.shape[-1]) - self.growth
        return x + tf.pad(w, [[0, 0], [0, 0], [0, 0], [pad, 0]], name=f"{name}_pad")


def _melius_half(**kw):
    return _MeliusNet22HalfFactory(**kw).build()


# A floor of 32x32 (CIFAR size) for the architectures that accept any size (global pooling,
# "same" convs); the others at the exact smallest size they accept, found by bisection
# (AlexNet-style stride-4 stems followed by VALID pools / a 6x6 VALID conv).
SMALL = [32, 48, 64, 96, 128, 160, 192, 224]
MIN_ALEXNET, MIN_XNORNET, MIN_DOREFANET = 57, 217, 44
RESNET = halve(64, 128, 256, 512)
CASES = [
    ZooCase("QuickNetSmall", lqz.sota.QuickNetSmall, [224], 1000),
    ZooCase("QuickNet", lqz.sota.QuickNet, [224], 1000),
    ZooCase("QuickNetLarge", lqz.sota.QuickNetLarge, [224], 1000),
    # ~1 MB each (binary kernels cost 1 bit in the .tflite and ~1.3 bits in the gzipped .h5,
    # float kernels 4 + ~1.5 bytes): the residual nets at half width.
    ZooCase("BiRealNet", lqz.literature.BiRealNet, SMALL, 10, width=RESNET),
    ZooCase("BinaryResNetE18", lqz.literature.BinaryResNetE18, SMALL, 10, width=RESNET),
    # DenseNets: growth rate and every transition width halved (quartered for the deepest).
    ZooCase("BinaryDenseNet28", lqz.literature.BinaryDenseNet28, SMALL, 10, width=halve(64, 128, 160, 192, 256)),
    ZooCase("BinaryDenseNet37", lqz.literature.BinaryDenseNet37, SMALL, 10, width=halve(64, 128, 192, 256)),
    ZooCase("BinaryDenseNet37Dilated", lqz.literature.BinaryDenseNet37Dilated, SMALL, 10,
            width=halve(64, 128, 192, 256)),
    ZooCase("BinaryDenseNet45", lqz.literature.BinaryDenseNet45, SMALL, 10,
            width={64: 16, 160: 40, 288: 72}),
    ZooCase("MeliusNet22", _melius_half, SMALL, 10,
            width_note=["dense/improvement blocks: 64 -> 32 new channels", "transitions: (160, 224, 256) -> (80, 112, 128)",
                        "split/concat/merge as TF-op layers instead of Lambda layers (same graph; the .h5 loads)"]),
    ZooCase("RealToBinaryNet", lqz.literature.RealToBinaryNet, SMALL, 10, width=halve(8, 16, 32, 64, 128, 256, 512)),
    # The 4096-wide layers alone would be ~60 MB of weights: 4096 -> 512, the convs halved.
    ZooCase("BinaryAlexNet", lqz.literature.BinaryAlexNet, [MIN_ALEXNET], 10,
            width={**halve(64, 192, 384, 256), 4096: 512}),
    # Smallest input 217 (stride-4 stem, three VALID 3x3/2 pools, then a 6x6 VALID conv): one
    # input sample (0.57 MB each); 4096 -> 256, the convs halved.
    ZooCase("XNORNet", lqz.literature.XNORNet, [MIN_XNORNET], 10, width={**halve(96, 256, 384), 4096: 256}, n_inputs=1),
    # DoReFa's 2-bit activations keep every conv a float CONV_2D (float32 kernels in the
    # .tflite): every width divided by 8.
    ZooCase("DoReFaNet", lqz.literature.DoReFaNet, [MIN_DOREFANET], 10,
            width={96: 12, 256: 32, 384: 48, 4096: 128}),
]


def build(c: ZooCase):
    last_err = None
    for s in c.sizes:
        try:
            tf.keras.backend.clear_session()
            model = c.fn(input_shape=(s, s, 3), weights=None, num_classes=c.classes)
            model(np.zeros((1, s, s, 3), np.float32), training=False)
            return model, s
        except Exception as e:  # too small for its pooling/valid convs: try the next size
            last_err = e
    raise RuntimeError(f"{c.name}: no input size in {c.sizes} works: {last_err}")


def narrow(model: tf.keras.Model, width: dict[int, int]) -> tuple[tf.keras.Model, list[str]]:
    """Rebuild `model` from its config with `units`/`filters` remapped by `width`."""
    cfg = model.get_config()
    changed = []
    for layer in cfg["layers"]:
        lc = layer["config"]
        layer.pop("build_config", None)  # recorded input shapes would rebuild the old widths
        act = lc.get("activation")
        if layer["class_name"] == "Activation" and isinstance(act, dict) and act.get("config") == "clip_by_value_activation":
            # DoReFaNet's clip(x, 0, 1) as a plain function cannot be loaded back from an .h5;
            # ReLU(max_value=1) is the same function.
            changed.append(f"{lc['name']}: Activation(clip_by_value_activation) -> ReLU(max_value=1)")
            layer["class_name"] = "ReLU"
            layer["config"] = lc = {"name": lc["name"], "trainable": lc["trainable"], "dtype": lc["dtype"],
                                    "max_value": 1.0, "negative_slope": 0.0, "threshold": 0.0}
        if layer["class_name"] == "Reshape" and len(lc["target_shape"]) == 3 and lc["target_shape"][:2] in ([1, 1], (1, 1)):
            # (1, 1, C) after global pooling / flatten: C follows the narrowed widths.
            changed.append(f"{lc['name']}.target_shape: {list(lc['target_shape'])} -> [1, 1, -1]")
            lc["target_shape"] = [1, 1, -1]
        for key in ("units", "filters"):
            if lc.get(key) in width:
                changed.append(f"{layer['config']['name']}.{key}: {lc[key]} -> {width[lc[key]]}")
                lc[key] = width[lc[key]]
    _plain_function_quantizers(cfg)
    # RealToBinaryNet has an identity Lambda: trusted code, our own config.
    with serialization_lib.SafeModeScope(False):
        rebuilt = tf.keras.Model.from_config(cfg, custom_objects=_custom_objects())
    return rebuilt, changed


def _plain_function_quantizers(node, objs=None) -> None:
    """A quantizer that is a plain function (XNORNet's xnor_weight_scale, DoReFaNet's
    magnitude_aware_sign_unclipped) comes out of get_config as {"class_name": "function",
    "config": name}, which from_config cannot read back (and a bare name gets called as a
    class): put the function itself in the config, which larq's quantizers.get accepts."""
    objs = objs if objs is not None else _custom_objects()
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, dict) and v.get("class_name") == "function" and v.get("config") in objs:
                node[k] = objs[v["config"]]
            else:
                _plain_function_quantizers(v, objs)
    elif isinstance(node, list):
        for v in node:
            _plain_function_quantizers(v, objs)


@lq.utils.register_keras_custom_object
class FunctionQuantizer(lq.quantizers.Quantizer):
    """A zoo quantizer that is a plain function, as a quantizer layer naming it. tf-keras saves a
    plain-function quantizer in an .h5 as {"class_name": "function"}, which it cannot load back;
    this saves as {"class_name": "FunctionQuantizer", "config": {"fn": name}} and runs the very
    same function (so LCE converts the same graph)."""

    precision = 1

    def __init__(self, fn: str, **kwargs):
        super().__init__(**kwargs)
        self.fn_name = fn if isinstance(fn, str) else fn.__name__
        self._function = _custom_objects()[self.fn_name]

    def call(self, inputs):
        return self._function(inputs)

    def get_config(self):
        return {**super().get_config(), "fn": self.fn_name}


def _wrap_function_quantizers(model) -> list[str]:
    wrapped = []
    for layer in model.layers:
        for attr in ("kernel_quantizer", "input_quantizer"):
            q = getattr(layer, attr, None)
            if callable(q) and not isinstance(q, tf.keras.layers.Layer) and getattr(q, "__name__", "") in _custom_objects():
                setattr(layer, attr, FunctionQuantizer(q.__name__))
                wrapped.append(f"{layer.name}.{attr}")
    return wrapped


def _custom_objects():
    import larq_zoo.literature.dorefanet as d
    import larq_zoo.literature.xnornet as x

    objs = {}
    for mod in (d, x):
        for k, v in vars(mod).items():
            if callable(v) and not isinstance(v, type):
                objs[k] = v
    return objs


def _serializable_initializers(model) -> list[str]:
    """QuickNet's blurpool uses a plain function as depthwise_initializer, which tf-keras saves
    as 'function' and cannot load back. Initializers do not affect inference: use zeros."""
    fixed = []
    for layer in model.layers:
        for attr, value in list(vars(layer).items()):
            if attr.endswith("_initializer") and callable(value) and not isinstance(value, tf.keras.initializers.Initializer):
                setattr(layer, attr, tf.keras.initializers.Zeros())
                fixed.append(f"{layer.name}.{attr}")
    return fixed


def generate(only_cases=None, log=print):
    failed = []
    for c in CASES:
        if only_cases and c.name not in only_cases:
            continue
        log(f"  {GROUP}/{c.name}")
        try:
            entry = _generate_case(c, log)
        except Exception as e:  # noqa: BLE001 - go on with the next case, fail at the end
            log(f"    FAILED: {type(e).__name__}: {str(e)[:2000]}")
            failed.append(c.name)
            shutil.rmtree(FIXTURES / GROUP / c.name, ignore_errors=True)  # half-written, not listed
            continue
        yield entry
    if failed:
        raise RuntimeError(f"zoo cases failed (not in the manifest): {', '.join(failed)}")


def _generate_case(c: ZooCase, log):
    seed = case_seed(GROUP, c.name)
    rng = seed_everything(seed)
    model, size = build(c)
    notes, extra = [], {"zoo": {"architecture": c.name, "input_size": size, "num_classes": c.classes,
                                "weights": "random (weights=None, then seeded randomisation)"}}
    if c.width:
        model, changed = narrow(model, c.width)
        extra["zoo"]["width_reduction"] = changed
        notes.append("narrowed layers (both .h5 and .tflite): " + "; ".join(changed))
    elif c.width_note:
        extra["zoo"]["width_reduction"] = list(c.width_note)
        notes.append("narrowed in the model factory (both .h5 and .tflite): " + "; ".join(c.width_note))
    if c.n_inputs != 3:
        notes.append(f"{c.n_inputs} input sample(s) instead of 3: each input is "
                     f"{size * size * 3 * 4 / 1e6:.2f} MB and the corpus budget is 60 MB")
    wrapped = _wrap_function_quantizers(model)
    if wrapped:
        notes.append("plain-function quantizers wrapped in FunctionQuantizer(fn=name) so the .h5 loads "
                     "(same function, same graph): " + ", ".join(wrapped))
    fixed = _serializable_initializers(model)
    if fixed:
        notes.append("initializers replaced by zeros so the .h5 loads (inference unaffected): " + ", ".join(fixed))
    calib = rng.normal(0, 1, (4, size, size, 3)).astype(np.float32)
    # One magnitude-aware scale per layer keeps the gzipped .h5 of the non-QuickNet models small.
    magnitude_scale = "channel" if c.name.startswith("QuickNet") else "layer"
    extra["zoo"]["magnitude_aware_scale"] = magnitude_scale
    randomize_weights(model, rng, calib_input=calib, magnitude_scale=magnitude_scale)
    entry = save_case(GROUP, c.name, model, seed=seed, rng=rng, notes=notes, extra=extra, n_inputs=c.n_inputs,
                      description=f"Larq Zoo {c.name}, {size}x{size}x3, {c.classes} classes, random weights"
                      + (", reduced width" if c.width or c.width_note else ""))
    log(f"    {size}x{size}: " + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in entry["sizes"].items()
                                     if v > 200_000))
    return entry
