"""TensorFlow: the grouped convolutions of the patch encoders, as GroupedConv2D runs them and as a depthwise one.

    python -m benchmarks.grouped_conv_tf [--batches 16 128] [--repeats 20]

For every grouped layer shape of the strict model (m = 9, regions of STFF Table 2 'normalized'), value and
both gradients of a traced function, two ways on the same input and kernel:

- **per group**: ``GroupedConv2D`` itself (on TensorFlow one ``tf.nn.conv2d`` per patch, concatenated, then
  bias and ReLU);
- **depthwise**: one ``tf.nn.depthwise_conv2d`` with channel multiplier f over the m x c input channels,
  then a sum over each group's c inputs (the same sums in another order), the layer's bias and ReLU.

The two take turns call by call; medians of wall and CPU ms (this process, all threads), the load before and
after, and the largest relative difference of the value and gradients. docs/performance.md ("Options measured
and not taken") has today's figures.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def depthwise(x, kernel, groups):
    """Kernel (s, s, c, g f) -> depthwise kernel (s, s, g c, f): input channel g c + i, multiplier j holds
    group g's kernel [.., i, g f + j]; the output channel (g c + i) f + j is summed over i."""
    import tensorflow as tf

    size, _, c, gf = kernel.shape
    f = gf // groups
    dk = tf.reshape(tf.transpose(tf.reshape(kernel, (size, size, c, groups, f)), (0, 1, 3, 2, 4)),
                    (size, size, groups * c, f))
    y = tf.nn.depthwise_conv2d(x, dk, [1, 1, 1, 1], "SAME")
    n, h, w = tf.shape(y)[0], tf.shape(y)[1], tf.shape(y)[2]
    return tf.reshape(tf.reduce_sum(tf.reshape(y, (n, h, w, groups, c, f)), axis=4), (n, h, w, groups * f))


def step_function(apply, x, layer):
    """Value and gradients (input, kernel) of ``sum(apply(x) ** 2)`` as one traced function."""
    import tensorflow as tf

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = apply(x)
            loss = tf.reduce_sum(y * y)
        gx, gk = tape.gradient(loss, [x, layer.kernel])
        return y, gx, gk
    return step


def measure(shape, batch, repeats, rng):
    import tensorflow as tf

    from micro_expr.stff.models.fast.grouped_conv import GroupedConv2D

    _, in_shape, kernel_shape, groups = shape
    x = tf.constant(rng.normal(size=(batch,) + in_shape[:2] + (in_shape[2] * groups,)).astype(np.float32))
    # The project's layer itself (TensorFlow: one tf.nn.conv2d per group, then bias and ReLU), with a known kernel.
    layer = GroupedConv2D(kernel_shape[3], kernel_shape[0], groups)
    layer.build(x.shape)
    layer.kernel.assign((rng.normal(size=tuple(layer.kernel.shape)) * 0.1).astype(np.float32))

    def by_depthwise(x):
        return tf.nn.relu(tf.nn.bias_add(depthwise(x, layer.kernel, groups), layer.bias))

    steps = {"per_group": step_function(layer, x, layer), "depthwise": step_function(by_depthwise, x, layer)}
    outputs = {name: [t.numpy() for t in step()] for name, step in steps.items()}   # traces
    diff = max(float(np.max(np.abs(a - b)) / (np.max(np.abs(a)) + 1e-12))
               for a, b in zip(outputs["per_group"], outputs["depthwise"]))
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            wall, cpu = time.perf_counter(), time.process_time()
            step()[0].numpy()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    medians = {name: (1000 * statistics.median(w for w, _ in t), 1000 * statistics.median(c for _, c in t))
               for name, t in times.items()}
    return medians, diff


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[16, 128])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    import tensorflow as tf

    from benchmarks.demo_floor import demo_config, layer_shapes

    tf.get_logger().setLevel("ERROR")   # two traced functions per shape are meant, not a retracing mistake

    regions, _ = layer_shapes(demo_config())
    shapes = []
    for region in regions:
        for shape in region:
            if shape[3] > 1 and shape not in shapes:
                shapes.append(shape)
    rng = np.random.default_rng(0)
    print(f"load before {os.getloadavg()[0]:.1f}; value and both gradients, medians of {args.repeats} (ms)")
    print("batch  input (per patch)  kernel      per group wall / CPU   depthwise wall / CPU   CPU ratio  rel diff")
    totals = {}
    for batch in args.batches:
        for shape in shapes:
            medians, diff = measure(shape, batch, args.repeats, rng)
            (pw, pc), (dw, dc) = medians["per_group"], medians["depthwise"]
            totals.setdefault(batch, [0.0, 0.0])
            totals[batch][0] += pc
            totals[batch][1] += dc
            print(f"{batch:5d}  {str(shape[1]):17s}  {str(shape[2]):10s}  {pw:9.2f} / {pc:8.2f}   "
                  f"{dw:9.2f} / {dc:8.2f}   {dc / pc:9.2f}  {diff:.1e}")
    for batch, (pc, dc) in totals.items():
        print(f"batch {batch}, every distinct grouped layer shape: per group {pc:.1f} CPU-ms, depthwise "
              f"{dc:.1f} ({dc / pc:.2f}x)")
    print(f"load after {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
