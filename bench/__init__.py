"""Benchmarks for venice-jupyter: each module is a script printing ``name: value unit (goal …)``.

Run one with ``python -m bench.bench_stream_cpu`` (or ``python bench/bench_stream_cpu.py``), or all
of them with ``python -m bench`` (``bench/run_all.py``). See ``bench/README.md``.
"""
