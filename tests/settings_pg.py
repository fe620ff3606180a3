"""The test settings on PostgreSQL (127.0.0.1, database ``test``) with the in-memory channel layer.

Used to re-run the observer transaction tests on PostgreSQL: see tests/test_observer_services.py.
"""

from tests.settings import *  # noqa: F403
from tests.settings_services import DATABASES as _SERVICE_DATABASES

DATABASES = {
    "default": _SERVICE_DATABASES["default"],
    "other": {**_SERVICE_DATABASES["default"], "TEST": {"NAME": "test_dcrf_other"}},
}
