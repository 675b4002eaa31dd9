"""The benchmark suite behind bench/run: kernels (build, measure), engines, extras, report."""
