"""Settings for `make bench`: salesmkt's own, plus the baseline app and its URLs.

The baseline (`tests/benchmarks/baseline`) exists only here, never in the product or in
`make test`: its tables are made by its migration when pytest-django creates the test database.
"""

from salesmkt.settings import *  # noqa: F403
from salesmkt.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.benchmarks.baseline"]
ROOT_URLCONF = "tests.benchmarks.urls"
