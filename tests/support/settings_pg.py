"""The test settings on PostgreSQL (127.0.0.1, database ``test``) with the in-memory channel layer.

Used to re-run the observer transaction tests on PostgreSQL: see tests/observer/test_observer_services.py.
"""

import os

from tests.support.settings import *  # noqa: F403
from tests.support.settings_services import DATABASES as _SERVICE_DATABASES

# Test databases named per process, so two runs on one server (two checkouts) never drop each other's.
_SUFFIX = os.getpid()
DATABASES = {
    "default": {**_SERVICE_DATABASES["default"], "TEST": {"NAME": f"test_dcrf_default_{_SUFFIX}"}},
    "other": {**_SERVICE_DATABASES["default"], "TEST": {"NAME": f"test_dcrf_other_{_SUFFIX}"}},
}
