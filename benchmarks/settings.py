"""The product's settings with the benchmarks app added, so that its commands exist.

`python -m benchmarks <command>` runs Django's command line under this module.
Everything else (the database, the cache, security) is the product's, read
from the same environment variables; the servers the benchmarks start run the
product's own settings.
"""

from iamconsole.settings import *  # noqa: F403
from iamconsole.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.apps.BenchmarksConfig"]
