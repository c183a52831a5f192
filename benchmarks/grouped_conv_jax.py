"""Why GroupedConv2D runs one convolution per group on JAX: the two ways, forward and gradient, in one process.

    KERAS_BACKEND=jax python -m benchmarks.grouped_conv_jax [--patches 9] [--batch 16] [--repeats 10]

The first layer of the strict preset's patch encoders (5 x 5, 3 -> 4 channels per patch, 'same') on a
quick-demo spatial batch: ``jax.lax.conv_general_dilated`` with ``feature_group_count = m`` (what
``keras.ops.conv`` calls for a grouped kernel) against m plain convolutions and a concatenation (what
GroupedConv2D.call does on JAX). Both jitted, medians of wall and CPU milliseconds after a warm-up call; the
largest difference of the outputs and gradients is printed beside the ratio.
"""
import argparse
import os
import statistics
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, default=9, help="m, groups (default: the strict preset's 9)")
    parser.add_argument("--batch", type=int, default=16, help="frames per step (default: the quick demo's 16)")
    parser.add_argument("--height", type=int, default=20)
    parser.add_argument("--width", type=int, default=53, help="patch size (default: R0's 3 x 3 patches, 20 x 53)")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)

    import jax
    import jax.numpy as jnp
    import numpy as np

    m, k, c, f = args.patches, 5, 3, 4
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.random((args.batch, args.height, args.width, m * c), dtype=np.float32))
    kernel = jnp.asarray(rng.normal(size=(k, k, c, m * f)).astype(np.float32))
    numbers = ("NHWC", "HWIO", "NHWC")

    def grouped(x, kernel):
        return jax.lax.conv_general_dilated(x, kernel, (1, 1), "SAME", dimension_numbers=numbers,
                                            feature_group_count=m)

    def split(x, kernel):
        pairs = zip(jnp.split(x, m, axis=-1), jnp.split(kernel, m, axis=-1))
        return jnp.concatenate([jax.lax.conv_general_dilated(a, b, (1, 1), "SAME", dimension_numbers=numbers)
                                for a, b in pairs], axis=-1)

    print(f"load before {os.getloadavg()}, {os.cpu_count()} cores; jax {jax.__version__} on "
          f"{jax.devices()[0].platform}; x {tuple(x.shape)}, kernel {tuple(kernel.shape)}, groups {m}")
    results = {}
    for name, fn in (("feature_group_count", grouped), ("one conv per group", split)):
        step = jax.jit(jax.value_and_grad(lambda x, kernel: jnp.sum(fn(x, kernel) ** 2), argnums=(0, 1)))
        results[name] = jax.block_until_ready(step(x, kernel))
        walls, cpus = [], []
        for _ in range(args.repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            jax.block_until_ready(step(x, kernel))
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        results[name] = (results[name], statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3)
    (base, base_wall, base_cpu), (new, new_wall, new_cpu) = results.values()
    difference = max(float(jnp.max(jnp.abs(a - b)) / jnp.max(jnp.abs(a)))
                     for a, b in zip(jax.tree.leaves(base), jax.tree.leaves(new)))
    print(f"{'way':22} {'wall ms':>9} {'CPU ms':>9}")
    for name, (_, wall, cpu) in results.items():
        print(f"{name:22} {wall:9.1f} {cpu:9.1f}")
    print(f"feature_group_count / one conv per group: wall {base_wall / new_wall:.1f}x, CPU {base_cpu / new_cpu:.1f}x; "
          f"largest difference (value and gradients, relative to the largest entry) {difference:.1e}")
    print(f"load after {os.getloadavg()}")


if __name__ == "__main__":
    main()
