from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """Installed only by benchmarks.settings: it brings the benchmark commands and nothing else."""

    name = "benchmarks"
    verbose_name = "Benchmarks"
