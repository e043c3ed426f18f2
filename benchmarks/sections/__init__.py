"""One module per section of the benchmark run (``python benchmarks/run.py --only NAME``)."""
