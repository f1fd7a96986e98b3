"""Group "matrix": tiny Larq/Keras models, one per converter/runtime path of lce-ops.md."""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf
import larq as lq

from common import case_seed, randomize_weights, save_case, seed_everything

L = tf.keras.layers
GROUP = "matrix"


def qconv(filters, kernel, *, q="ste_sign", kq=None, padding="valid", pad_values=0.0, **kw):
    return lq.layers.QuantConv2D(
        filters, kernel, input_quantizer=q, kernel_quantizer=kq or q,
        kernel_constraint="weight_clip", use_bias=kw.pop("use_bias", False),
        padding=padding, pad_values=pad_values, **kw)


SAME1 = dict(padding="same", pad_values=1.0)
SAME0 = dict(padding="same", pad_values=0.0)


def new(cls, *args, **kwargs):
    """A block that creates its layer when the case is built, never at import: Keras names a layer when
    it is created (dense, dense_1, ... from a process-wide counter that seed_everything's clear_session
    resets before every case), so a layer made at import would carry a name that depends on what was
    imported before and would not be reset per case."""
    return lambda x: cls(*args, **kwargs)(x)


class Case:
    def __init__(self, name: str, shape, build: Callable, description: str, **opts):
        self.name, self.shape, self.build, self.description, self.opts = name, shape, build, description, opts


def bconv_bn(cout, k, **kw):
    def f(x):
        return L.BatchNormalization()(qconv(cout, k, **kw)(x))
    return f


CASES: list[Case] = []


def add(name, shape, build, description, **opts):
    CASES.append(Case(name, shape, build, description, **opts))


# --- padding modes, strides, dilation, kernel sizes -----------------------------------------
add("bconv_valid_k3", (9, 9, 32), bconv_bn(16, 3), "bconv VALID 3x3, BN folded into multiplier/bias", keras_v3=True)
add("bconv_same_one_k3", (8, 8, 32), bconv_bn(16, 3, **SAME1), "bconv SAME pad_values=1 (same-one)")
add("bconv_same_zero_k3", (8, 8, 32), bconv_bn(16, 3, **SAME0), "bconv SAME pad_values=0 (same-zero), float out")
add("bconv_same_zero_cin33", (7, 7, 33), bconv_bn(8, 3, **SAME0),
    "same-zero with odd channels_in (the reference kernel refuses this; the default one accepts)")
add("bconv_valid_s2_odd", (11, 11, 32), bconv_bn(8, 3, strides=2), "VALID stride 2 on 11x11")
add("bconv_same_one_s2_odd", (11, 11, 32), bconv_bn(8, 3, strides=2, **SAME1), "same-one stride 2 on 11x11")
add("bconv_same_zero_s2_odd", (11, 11, 32), bconv_bn(8, 3, strides=2, **SAME0), "same-zero stride 2 on 11x11")
add("bconv_same_one_s2_k5_even", (10, 12, 32), bconv_bn(8, 5, strides=2, **SAME1), "same-one 5x5 stride 2 on 10x12")
add("bconv_valid_dil2", (11, 11, 32), bconv_bn(8, 3, dilation_rate=2), "VALID dilation 2")
add("bconv_same_one_dil2", (9, 9, 32), bconv_bn(8, 3, dilation_rate=2, **SAME1), "same-one dilation 2")
add("bconv_same_zero_dil2", (9, 9, 32), bconv_bn(8, 3, dilation_rate=2, **SAME0), "same-zero dilation 2")
add("bconv_k1", (5, 7, 64), bconv_bn(32, 1), "1x1 bconv")
add("bconv_k5_same_one", (9, 9, 32), bconv_bn(8, 5, **SAME1), "5x5 same-one")
add("bconv_k5_valid", (9, 9, 32), bconv_bn(8, 5), "5x5 VALID")
add("bconv_k3x1_rect", (7, 6, 32), bconv_bn(8, (3, 1), **SAME1), "rectangular 3x1 kernel, same-one")
add("bconv_s2x1", (8, 8, 32), bconv_bn(8, 3, strides=(2, 1), **SAME1), "strides (2,1), same-one")

# --- channel sweeps --------------------------------------------------------------------------
for cin in (1, 3, 16, 31, 32, 33, 64, 65, 96, 128):
    add(f"bconv_cin{cin}", (7, 7, cin), bconv_bn(8, 3, **SAME1), f"channels_in={cin}, cout 8, same-one")
for cout in (1, 7, 8, 9, 32, 64):
    add(f"bconv_cout{cout}", (6, 6, 32), bconv_bn(cout, 3, **SAME1), f"channels_out={cout}, cin 32, same-one")
add("bconv_cin65_valid_cout9", (6, 5, 65), bconv_bn(9, 3), "awkward cin 65 / cout 9, VALID")

# --- grouped ---------------------------------------------------------------------------------
add("bconv_grouped_g2", (6, 6, 64), bconv_bn(64, 3, groups=2, **SAME1),
    "grouped bconv, groups=2 (only the reference/indirect kernels accept it)",
    interpreter_options={"use_reference_bconv": True})
add("bconv_grouped_g4_to_bitpacked", (6, 6, 128),
    lambda x: L.BatchNormalization()(qconv(32, 3, **SAME1)(L.BatchNormalization()(qconv(128, 3, groups=4, **SAME1)(x)))),
    "grouped bconv (groups=4) with bitpacked output feeding a plain bconv",
    interpreter_options={"use_reference_bconv": True})


# --- fused activations / BN order ------------------------------------------------------------
def relu_bn(cout, k, relu=None, **kw):
    def f(x):
        y = qconv(cout, k, **kw)(x)
        y = relu(y) if relu else L.ReLU()(y)
        return L.BatchNormalization()(y)
    return f


def bn_relu(cout, k, **kw):
    def f(x):
        return L.ReLU()(L.BatchNormalization()(qconv(cout, k, **kw)(x)))
    return f


add("fused_relu_then_bn", (7, 7, 32), relu_bn(16, 3, **SAME1), "QuantConv2D -> ReLU -> BN (ReLU fused, clamp before mult)",
    keras_v3=True)
add("fused_relu_activation_arg", (7, 7, 32),
    lambda x: L.BatchNormalization()(qconv(16, 3, activation="relu", **SAME1)(x)), "QuantConv2D(activation=relu) -> BN")
add("fused_relu_valid", (7, 7, 32), relu_bn(16, 3), "ReLU fusion with VALID padding")
add("relu_same_zero_not_fused", (7, 7, 32), relu_bn(16, 3, **SAME0), "same-zero: ReLU must stay a separate op")
add("fused_relu6", (7, 7, 32), relu_bn(16, 3, relu=new(L.ReLU, max_value=6.0), **SAME1), "ReLU(max_value=6) -> RELU6 fusion")
add("bn_then_relu", (7, 7, 32), bn_relu(16, 3, **SAME1), "QuantConv2D -> BN -> ReLU (ReLU not fused)")
add("bconv_bias", (7, 7, 32), lambda x: qconv(8, 3, use_bias=True, **SAME1)(x), "use_bias=True folded into bias")


# --- chains: bitpacked output with thresholds -----------------------------------------------
def chain(*blocks):
    def f(x):
        for b in blocks:
            x = b(x)
        return x
    return f


add("chain_same_one", (8, 8, 32), chain(bconv_bn(32, 3, **SAME1), bconv_bn(16, 3, **SAME1)),
    "bconv -> BN -> bconv: first writes bitpacked int32 via thresholds (negative gammas flip weights)",
    keras_v3=True)
add("chain_valid_cout40", (9, 9, 32), chain(bconv_bn(40, 3), bconv_bn(8, 3)), "chain, VALID, 40 channels in the middle")
add("chain_relu_bn", (8, 8, 32), chain(relu_bn(32, 3, **SAME1), relu_bn(32, 3, **SAME1), bconv_bn(8, 3, **SAME1)),
    "three bconvs, ReLU->BN order: thresholds with RELU clamp")
add("chain_relu6_bn", (8, 8, 32), chain(relu_bn(32, 3, relu=new(L.ReLU, max_value=6.0), **SAME1), bconv_bn(8, 3, **SAME1)),
    "thresholds with RELU6 clamp")
add("chain_same_zero_first", (8, 8, 32), chain(bconv_bn(32, 3, **SAME0), bconv_bn(8, 3, **SAME1)),
    "same-zero bconv never writes bitpacked output: float -> LceQuantize between the two")
add("chain_cout1_cout33", (6, 6, 32), chain(bconv_bn(33, 3, **SAME1), bconv_bn(1, 3, **SAME1), bconv_bn(8, 1)),
    "bitpacked outputs with 33 and 1 channels (padding bits)")
add("chain_bias_no_bn", (6, 6, 32), chain(lambda x: qconv(32, 3, use_bias=True, **SAME1)(x), bconv_bn(8, 3, **SAME1)),
    "threshold from a plain bias (multiplier 1)")


# --- max pooling -----------------------------------------------------------------------------
def float_stem(c=32):
    def f(x):
        return L.BatchNormalization()(L.Conv2D(c, 3, padding="same", use_bias=False)(x))
    return f


add("bmaxpool_after_float", (10, 10, 3),
    chain(float_stem(32), lambda x: L.MaxPool2D(2, 2)(x), bconv_bn(16, 3, **SAME1)),
    "float conv -> MaxPool2D -> QuantConv2D: LceQuantize -> LceBMaxPool2d -> LceBconv2d")
add("bmaxpool_same_odd", (9, 9, 3),
    chain(float_stem(40), lambda x: L.MaxPool2D(3, 2, padding="same")(x), bconv_bn(8, 3, **SAME1)),
    "MaxPool 3x3/2 SAME on odd 9x9 before a bconv, 40 channels")
add("bmaxpool_valid_3x3s2", (11, 11, 3),
    chain(float_stem(32), lambda x: L.MaxPool2D(3, 2, padding="valid")(x), bconv_bn(8, 1)),
    "MaxPool 3x3/2 VALID before a 1x1 bconv")
add("bmaxpool_after_bconv", (8, 8, 32),
    chain(bconv_bn(32, 3, **SAME1), lambda x: L.MaxPool2D(2, 2)(x), bconv_bn(8, 3, **SAME1)),
    "bconv (bitpacked out) -> BMaxPool -> bconv")
add("maxpool_to_float_head", (8, 8, 32),
    chain(bconv_bn(16, 3, **SAME1), lambda x: L.MaxPool2D(2, 2)(x), new(L.GlobalAveragePooling2D), new(L.Dense, 5)),
    "MaxPool not followed by a quantizer stays a float MAX_POOL_2D")

# --- dense -----------------------------------------------------------------------------------
add("quant_dense", (4, 4, 8),
    chain(new(L.Flatten), lambda x: lq.layers.QuantDense(10, input_quantizer="ste_sign", kernel_quantizer="ste_sign",
                                                       kernel_constraint="weight_clip")(x), new(L.BatchNormalization)),
    "QuantDense: not accelerated, FULLY_CONNECTED fed by LceQuantize -> LceDequantize")
add("dense_as_1x1_bconv", (4, 4, 8),
    chain(new(L.Flatten), new(L.Reshape, (1, 1, -1)), bconv_bn(32, 1), new(L.Reshape, (-1,))),
    "the QuantDense workaround: Reshape -> 1x1 QuantConv2D -> Reshape")

# --- quantizers ------------------------------------------------------------------------------
add("approx_sign", (7, 7, 32), bconv_bn(8, 3, q="approx_sign", **SAME1), "approx_sign input and kernel quantizers")
add("swish_sign", (7, 7, 32), bconv_bn(8, 3, q="swish_sign", **SAME1), "swish_sign input and kernel quantizers")
add("magnitude_aware_kernel", (7, 7, 32), bconv_bn(8, 3, q="ste_sign", kq="magnitude_aware_sign", **SAME1),
    "magnitude_aware_sign kernel: per-channel scale becomes the multiplier")
add("magnitude_aware_input", (7, 7, 32),
    lambda x: qconv(8, 3, q="magnitude_aware_sign", kq="ste_sign", **SAME1)(x),
    "magnitude_aware_sign on activations: the conv stays float")
add("ste_sign_layer_then_conv", (7, 7, 32),
    chain(new(lq.quantizers.SteSign), lambda x: L.Conv2D(8, 3, padding="valid")(x)),
    "SteSign quantizer layer followed by a float conv")
add("ste_tern_input", (7, 7, 32), bconv_bn(8, 3, q="ste_tern", kq="ste_sign"),
    "ste_tern on activations: open question 7 (does LCE wrongly binarize it?); compare keras vs lce outputs")


# --- int8 --------------------------------------------------------------------------------------
def small_bnn(nclass=10):
    def f(x):
        x = float_stem(32)(x)
        x = L.MaxPool2D(2, 2)(x)
        x = relu_bn(32, 3, **SAME1)(x)
        x = bconv_bn(32, 3, **SAME1)(x)
        x = L.GlobalAveragePooling2D()(x)
        return L.Dense(nclass)(x)
    return f


INT8_OPTS = {"inference_input_type": "int8", "inference_output_type": "int8",
             "experimental_default_int8_range": [-3.0, 3.0]}
add("int8_io_bnn", (10, 10, 3), small_bnn(), "int8 in/out with a default int8 range: LCE's int8 path", converter=INT8_OPTS)
add("int8_internal_bnn", (10, 10, 3), small_bnn(), "float in/out, int8 inside (default int8 range)",
    converter={"experimental_default_int8_range": [-3.0, 3.0]})
add("int8_io_bconv_only", (7, 7, 32), bconv_bn(16, 3, **SAME1), "int8 io around a single bconv: int8 LceQuantize/Bconv out",
    converter=INT8_OPTS)


# --- float model and misc ----------------------------------------------------------------------
def float_model(x):
    a = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    a = L.BatchNormalization()(a)
    b = L.DepthwiseConv2D(3, padding="same")(a)
    b = L.BatchNormalization()(b)
    b = L.ReLU(max_value=6.0)(b)
    c = L.Add()([a, b])
    d = L.Conv2D(8, 1)(c)
    e = L.Concatenate()([c, d])
    e = L.AveragePooling2D(2, padding="same")(e)
    e = L.MaxPool2D(2, padding="same")(e)
    e = L.ZeroPadding2D(1)(e)
    e = L.Conv2D(12, 3, padding="valid")(e)
    f = L.GlobalAveragePooling2D()(e)
    f = L.Dense(16, activation="relu")(f)
    f = L.Dense(7)(f)
    return L.Softmax()(f)


add("float_model", (13, 11, 3), float_model, "plain float model: Conv2D/DepthwiseConv2D/BN/Add/Concatenate/pools/Dense/Softmax")
add("float_flatten_dense", (5, 5, 4), chain(new(L.Flatten), new(L.Dense, 6, activation="tanh")), "Flatten + Dense + tanh")
add("xcore_same_zero_and_pool", (8, 8, 3),
    chain(float_stem(32), lambda x: L.MaxPool2D(2, 2)(x), bconv_bn(16, 3, **SAME0), bconv_bn(8, 3, **SAME1)),
    "target=xcore: same-zero stays float CONV_2D, no BMaxPool", converter={"target": "xcore"})


def residual_bnn(x):
    x = float_stem(32)(x)
    for _ in range(2):
        y = relu_bn(32, 3, **SAME1)(x)
        x = L.Add()([x, y])
    x = L.AveragePooling2D(2)(x)
    y = bconv_bn(64, 3, strides=2, **SAME1)(x)
    x = L.Concatenate()([L.AveragePooling2D(2)(x), L.AveragePooling2D(2)(x)])
    x = L.Add()([x, y])
    x = L.GlobalAveragePooling2D()(x)
    return L.Activation("softmax")(L.Dense(10)(x))


add("residual_bnn", (16, 16, 3), residual_bnn, "QuickNet-like: float stem, residual bconv blocks, transition, head")


def multi_output(x):
    y = bconv_bn(16, 3, **SAME1)(x)
    a = L.Dense(4, name="out_a")(L.GlobalAveragePooling2D()(y))
    b = L.BatchNormalization(name="out_b")(qconv(8, 1)(y))
    return [a, b]


add("multi_output", (6, 6, 32), multi_output, "two outputs (files lce_output_{i}_{k}.npy)")


def build_case(c: Case):
    seed = case_seed(GROUP, c.name)
    rng = seed_everything(seed)
    inp = tf.keras.Input(c.shape, name="input")
    out = c.build(inp)
    model = tf.keras.Model(inp, out, name=c.name)
    randomize_weights(model, rng, calib_input=rng.normal(0, 1, (8,) + tuple(c.shape)).astype(np.float32))
    return save_case(GROUP, c.name, model, seed=seed, description=c.description, rng=rng,
                     converter_options=c.opts.get("converter"), save_keras_v3=c.opts.get("keras_v3", False),
                     interpreter_options=c.opts.get("interpreter_options"))


def generate(only_cases: set[str] | None = None, log=print):
    for c in CASES:
        if only_cases and c.name not in only_cases:
            continue
        log(f"  {GROUP}/{c.name}")
        yield build_case(c)
