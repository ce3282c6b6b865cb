"""Benchmarks, load and scale tools: outside the product, which imports nothing of them.

`python -m benchmarks.engine` is the engine's benchmark. This module imports
nothing, so that benchmark runs without Django.
"""
