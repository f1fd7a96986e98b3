"""Small Keras/Larq models for the lce-js converter tests, with the real LCE conversion of each.

Writes into test/data/keras/:
  <case>.h5          legacy Keras HDF5 (model_config + model_weights)
  <case>.keras       Keras v3 zip (config.json + model.weights.h5), where the case supports it
  <case>.lce.tflite  larq_compute_engine.convert_keras_model(model)
  <case>.io.json     one random input and Keras's output for it (flat float lists + shapes)
  <case>.int8.lce.tflite, <case>.int8.io.json   for INT8_CASES: the int8 conversion (int8 I/O, default range
                     (-3, 3)) and LCE's interpreter output on one random int8 input

Run: TF_USE_LEGACY_KERAS=1 tools/reference/.venv/bin/python tools/reference/converter_cases.py [case ...]
"""
import json
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import larq as lq  # noqa: E402
import larq_compute_engine as lce  # noqa: E402

keras = tf.keras
L = keras.layers
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "data", "keras")

BIN = dict(input_quantizer="ste_sign", kernel_quantizer="ste_sign", kernel_constraint="weight_clip")


def randomize(model, seed):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            randomize(layer, seed + 1)
            continue
        new = []
        for w, v in zip(layer.get_weights(), layer.weights):
            name = v.name.split("/")[-1]
            if "moving_variance" in name:
                new.append(rng.uniform(0.5, 2.0, w.shape).astype(np.float32))
            elif "gamma" in name:
                g = rng.uniform(0.5, 1.5, w.shape) * rng.choice([-1.0, 1.0], w.shape, p=[0.2, 0.8])
                new.append(g.astype(np.float32))
            elif "alpha" in name:
                new.append(rng.uniform(0.0, 0.5, w.shape).astype(np.float32))
            else:
                new.append((rng.standard_normal(w.shape) * 0.5).astype(np.float32))
        layer.set_weights(new)


def bnn_mnist():
    kw = dict(BIN, use_bias=False)
    return keras.Sequential([
        lq.layers.QuantConv2D(32, (3, 3), kernel_quantizer="ste_sign", kernel_constraint="weight_clip",
                              use_bias=False, input_shape=(14, 14, 1)),
        L.MaxPooling2D((2, 2)),
        L.BatchNormalization(scale=False),
        lq.layers.QuantConv2D(64, (3, 3), **kw),
        L.MaxPooling2D((2, 2)),
        L.BatchNormalization(scale=False),
        lq.layers.QuantConv2D(64, (1, 1), **kw),
        L.BatchNormalization(scale=False),
        L.Flatten(),
        lq.layers.QuantDense(64, **kw),
        L.BatchNormalization(scale=False),
        lq.layers.QuantDense(10, **kw),
        L.BatchNormalization(scale=False),
        L.Activation("softmax"),
    ], name="bnn_mnist")


def quicknet_block():
    inp = keras.Input((16, 16, 3), name="image")
    x = L.Conv2D(32, 3, strides=2, padding="same", use_bias=False)(inp)
    x = L.BatchNormalization(momentum=0.9)(x)
    x = L.Activation("relu")(x)
    # same-one binary conv, ReLU then BN (fuses completely), residual add
    y = lq.layers.QuantConv2D(32, 3, padding="same", pad_values=1.0, use_bias=False, **BIN)(x)
    y = L.Activation("relu")(y)
    y = L.BatchNormalization()(y)
    x = L.Add()([x, y])
    # bconv feeding only another bconv: bitpacked output with thresholds
    y = lq.layers.QuantConv2D(64, 3, padding="same", pad_values=1.0, use_bias=False, **BIN)(x)
    y = L.BatchNormalization()(y)
    y = lq.layers.QuantConv2D(64, 3, padding="same", pad_values=1.0, use_bias=False, **BIN)(y)
    y = L.BatchNormalization()(y)
    y = L.Activation("relu")(y)  # BN then ReLU: the ReLU stays separate
    # max pool feeding only a binary conv: LceBMaxPool2d
    y = L.MaxPooling2D(2, strides=2)(y)
    y = lq.layers.QuantConv2D(64, 3, padding="valid", use_bias=True, **BIN)(y)
    y = L.BatchNormalization()(y)
    y = L.GlobalAveragePooling2D()(y)
    y = L.Dense(10)(y)
    out = L.Activation("softmax", dtype="float32")(y)
    return keras.Model(inp, out, name="quicknet_block")


def float_layers():
    inp = keras.Input((12, 12, 4))
    a = L.ZeroPadding2D(1)(inp)
    a = L.Conv2D(8, 3, padding="valid")(a)
    a = L.BatchNormalization()(a)
    a = L.ReLU()(a)
    b = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(inp)
    b = L.BatchNormalization()(b)
    b = L.Activation("relu6")(b)
    c = L.SeparableConv2D(8, 3, padding="same")(inp)
    c = L.PReLU(shared_axes=[1, 2])(c)
    d = L.Conv2D(8, 1)(inp)
    d = L.LeakyReLU(0.2)(d)
    s = L.Add()([a, b, c])
    s = L.Subtract()([s, d])
    m = L.Multiply()([s, L.Activation("sigmoid")(d)])
    x = L.Concatenate()([m, L.Activation("tanh")(c)])
    x = L.Dropout(0.3)(x)
    x = L.AveragePooling2D(2)(x)
    x = L.Activation("swish")(x)
    p = L.GlobalMaxPooling2D()(x)
    q = L.Reshape((-1,))(L.MaxPooling2D(3, strides=3, padding="same")(x))
    x = L.Concatenate()([p, q])
    x = L.Dense(6, activation="relu")(x)
    x = L.Activation("hard_sigmoid")(x)
    x = L.BatchNormalization()(x)
    return keras.Model(inp, x, name="float_layers")


def quant_variants():
    inp = keras.Input((10, 10, 8))
    x = lq.layers.QuantConv2D(32, 3, padding="same", input_quantizer="approx_sign",
                              kernel_quantizer="magnitude_aware_sign", use_bias=False)(inp)  # same-zero
    x = L.BatchNormalization()(x)
    x = lq.layers.QuantConv2D(32, 3, padding="same", pad_values=1.0,
                              input_quantizer=lq.quantizers.SteSign(clip_value=1.25),
                              kernel_quantizer=lq.quantizers.SwishSign(beta=5.0), use_bias=False)(x)
    x = L.BatchNormalization()(x)
    d = lq.layers.QuantDepthwiseConv2D(3, padding="same", input_quantizer="ste_sign",
                                       depthwise_quantizer="ste_sign", use_bias=False)(x)
    s = lq.layers.QuantSeparableConv2D(32, 3, padding="same", input_quantizer="ste_sign",
                                       depthwise_quantizer="ste_sign", pointwise_quantizer="ste_sign")(x)
    x = L.Add()([d, s])
    x = lq.layers.QuantConv2D(16, 1, input_quantizer=lq.quantizers.DoReFa(k_bit=2, mode="activations"),
                              kernel_quantizer=lq.quantizers.DoReFa(k_bit=2, mode="weights"))(x)
    x = L.Flatten()(x)
    x = lq.layers.QuantDense(10, input_quantizer="ste_sign", kernel_quantizer="ste_sign")(x)
    return keras.Model(inp, x, name="quant_variants")


def nested():
    inner = keras.Sequential([
        L.Conv2D(32, 3, padding="same", use_bias=False, input_shape=(8, 8, 3)),
        L.BatchNormalization(),
        lq.layers.QuantConv2D(32, 3, padding="same", pad_values=1.0, use_bias=False, **BIN),
        L.BatchNormalization(),
    ], name="inner")
    inp = keras.Input((8, 8, 3))
    x = inner(inp)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(4)(x)
    return keras.Model(inp, x, name="nested")


def lambda_layer():
    inp = keras.Input((4, 4, 2))
    x = L.Conv2D(2, 1)(inp)
    x = L.Lambda(lambda t: t * 2.0, name="double_it")(x)
    return keras.Model(inp, x, name="lambda_layer")


def tf_ops():
    """Operators and tf functions on Keras tensors: tf-keras saves each as a TFOpLambda layer (Larq Zoo's
    QuickNet writes its residual adds this way)."""
    inp = keras.Input((6, 6, 8), name="x")
    a = L.Conv2D(8, 1, use_bias=False)(inp)
    b = L.BatchNormalization()(a)
    s = tf.nn.relu(a + b)
    m = tf.math.multiply(s, inp) * 0.5
    d = tf.math.subtract(m, 1.0) - inp
    c = tf.concat([d, tf.nn.relu6(inp)], axis=-1)
    q = lq.layers.QuantConv2D(16, 3, padding="same", pad_values=1.0, use_bias=False, **BIN)(c)
    q = L.BatchNormalization()(q)
    q = tf.math.maximum(q, -tf.math.sigmoid(q))
    r = tf.math.reduce_mean(q, axis=[1, 2], keepdims=True)
    r = tf.reshape(r, [-1, 4, 4])
    r = tf.reshape(r, (-1, 16)) / 3.0
    out = tf.nn.softmax(L.Dense(5)(r))
    return keras.Model(inp, out, name="tf_ops")


def max_min_permute():
    """Maximum / Minimum layers (MAXIMUM/MINIMUM have no fused activation), a three-input Minimum, and Permute
    (TRANSPOSE) before a Dense on a 4-D tensor."""
    inp = keras.Input((4, 4, 6))
    a = L.Conv2D(6, 1)(inp)
    b = L.Conv2D(6, 1)(inp)
    m = L.Maximum()([inp, a])
    n = L.Minimum()([m, b, a])
    p = L.Permute((3, 1, 2))(n)
    return keras.Model(inp, L.Dense(3)(p), name="max_min_permute")


CASES = {
    "bnn_mnist": (bnn_mnist, True),
    "quicknet_block": (quicknet_block, True),
    "float_layers": (float_layers, True),
    "quant_variants": (quant_variants, True),
    "nested": (nested, True),
    "lambda_layer": (lambda_layer, False),
    "tf_ops": (tf_ops, True),
    "max_min_permute": (max_min_permute, True),
}

INT8_CASES = {"max_min_permute"}


def main(names):
    os.makedirs(OUT, exist_ok=True)
    for name in names or CASES:
        i = list(CASES).index(name)  # seeds by position in CASES, so regenerating one case changes nothing else
        build, convert = CASES[name]
        tf.keras.utils.set_random_seed(100 + i)
        model = build()
        randomize(model, 1000 + i)
        base = os.path.join(OUT, name)
        model.save(base + ".h5")
        if convert:
            model.save(base + ".keras")
            with open(base + ".lce.tflite", "wb") as f:
                f.write(lce.convert_keras_model(model))
            shape = (1,) + tuple(model.input_shape[1:])
            x = np.random.default_rng(7 + i).standard_normal(shape).astype(np.float32)
            y = model(x, training=False).numpy()
            with open(base + ".io.json", "w") as f:
                json.dump({"inputShape": list(x.shape), "input": [float(v) for v in x.ravel()],
                           "outputShape": list(y.shape), "output": [float(v) for v in y.ravel()]}, f)
        if name in INT8_CASES:
            from larq_compute_engine.tflite.python.interpreter import Interpreter

            flat = lce.convert_keras_model(model, inference_input_type=tf.int8, inference_output_type=tf.int8,
                                           experimental_default_int8_range=(-3, 3))
            with open(base + ".int8.lce.tflite", "wb") as f:
                f.write(flat)
            x8 = np.random.default_rng(17 + i).integers(-128, 128, shape, dtype=np.int8)
            y8 = Interpreter(flat).predict(x8)
            with open(base + ".int8.io.json", "w") as f:
                json.dump({"inputShape": list(x8.shape), "input": [int(v) for v in x8.ravel()],
                           "outputShape": list(y8.shape), "output": [int(v) for v in y8.ravel()]}, f)
        print("wrote", name, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
