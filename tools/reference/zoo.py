"""Group "zoo": every Larq Zoo architecture, weights=None, then random weights and random BN
statistics (fixed seeds). Pretrained weights cannot be downloaded here; they are not needed to
test a runtime against LCE.

QuickNet{Small,,Large} are built at 224x224 with 1000 classes (the benchmark models). The
others are built at the smallest input size they accept (tried in ascending order) with 10
classes. Where a model's size would break the corpus budget, its widest layers are narrowed
by editing the Keras config ("width_reduction" in the manifest says exactly how).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import larq_zoo as lqz

from common import case_seed, randomize_weights, save_case, seed_everything

GROUP = "zoo"


class ZooCase:
    def __init__(self, name, fn, sizes, classes, width=None, n_inputs=3):
        self.name, self.fn, self.sizes, self.classes, self.width, self.n_inputs = name, fn, sizes, classes, width, n_inputs


SMALL = [32, 48, 64, 96, 128, 160, 192, 224]
CASES = [
    ZooCase("QuickNetSmall", lqz.sota.QuickNetSmall, [224], 1000),
    ZooCase("QuickNet", lqz.sota.QuickNet, [224], 1000),
    ZooCase("QuickNetLarge", lqz.sota.QuickNetLarge, [224], 1000),
    ZooCase("BiRealNet", lqz.literature.BiRealNet, SMALL, 10),
    ZooCase("BinaryResNetE18", lqz.literature.BinaryResNetE18, SMALL, 10),
    ZooCase("BinaryDenseNet28", lqz.literature.BinaryDenseNet28, SMALL, 10),
    ZooCase("BinaryDenseNet37", lqz.literature.BinaryDenseNet37, SMALL, 10),
    ZooCase("BinaryDenseNet37Dilated", lqz.literature.BinaryDenseNet37Dilated, SMALL, 10),
    ZooCase("BinaryDenseNet45", lqz.literature.BinaryDenseNet45, SMALL, 10),
    ZooCase("MeliusNet22", lqz.literature.MeliusNet22, SMALL, 10),
    ZooCase("RealToBinaryNet", lqz.literature.RealToBinaryNet, SMALL, 10),
    ZooCase("BinaryAlexNet", lqz.literature.BinaryAlexNet, SMALL, 10),
    # The 4096-wide 6x6 conv / dense layers alone would be ~60 MB of weights: narrowed to 512.
    ZooCase("XNORNet", lqz.literature.XNORNet, SMALL, 10, width={4096: 512}),
    ZooCase("DoReFaNet", lqz.literature.DoReFaNet, SMALL, 10, width={4096: 512}),
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
        for key in ("units", "filters"):
            if lc.get(key) in width:
                changed.append(f"{layer['config']['name']}.{key}: {lc[key]} -> {width[lc[key]]}")
                lc[key] = width[lc[key]]
    rebuilt = tf.keras.Model.from_config(cfg, custom_objects=_custom_objects())
    return rebuilt, changed


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
    for c in CASES:
        if only_cases and c.name not in only_cases:
            continue
        log(f"  {GROUP}/{c.name}")
        seed = case_seed(GROUP, c.name)
        rng = seed_everything(seed)
        model, size = build(c)
        notes, extra = [], {"zoo": {"architecture": c.name, "input_size": size, "num_classes": c.classes,
                                    "weights": "random (weights=None, then seeded randomisation)"}}
        if c.width:
            model, changed = narrow(model, c.width)
            extra["zoo"]["width_reduction"] = changed
            notes.append("narrowed layers (both .h5 and .tflite): " + "; ".join(changed))
        fixed = _serializable_initializers(model)
        if fixed:
            notes.append("initializers replaced by zeros so the .h5 loads (inference unaffected): " + ", ".join(fixed))
        calib = rng.normal(0, 1, (4, size, size, 3)).astype(np.float32)
        randomize_weights(model, rng, calib_input=calib)
        entry = save_case(GROUP, c.name, model, seed=seed, rng=rng, notes=notes, extra=extra,
                          description=f"Larq Zoo {c.name}, {size}x{size}x3, {c.classes} classes, random weights")
        log(f"    {size}x{size}: " + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in entry["sizes"].items()
                                         if v > 200_000))
        yield entry
