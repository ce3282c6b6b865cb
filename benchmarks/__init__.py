"""Benchmarks, load and scale tools: outside the product's apps, never installed by its settings.

Their management commands exist only under `benchmarks.settings`, which
`python -m benchmarks <command>` uses; `python -m benchmarks.engine`,
`python -m benchmarks.validate` and `python -m benchmarks.two_servers` run on
their own. Nothing here is imported by the product. This module imports
nothing, so the engine's and the validator's benchmarks run without Django.
"""
