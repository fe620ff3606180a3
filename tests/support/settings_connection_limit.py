"""Settings for tests/security/test_security_connection_limit_processes.py: the test settings with
docs/examples/connection_limit_settings.py's Redis layer and limit, under this test's own key
prefix (``DCRF_CONNECTION_PREFIX``) and a short TTL (``DCRF_CONNECTION_TTL`` seconds).

The SQLite file named by ``DCRF_TEST_SQLITE`` holds the users and tokens every process reads.
The example is read by path, as in tests/support/settings_serving.py.
"""

import os
import runpy
from pathlib import Path

from tests.support.settings import *  # noqa: F403

_EXAMPLE = runpy.run_path(
    str(Path(__file__).resolve().parents[2] / "docs" / "examples" / "connection_limit_settings.py")
)

CHANNEL_LAYERS = _EXAMPLE["CHANNEL_LAYERS"]
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = os.environ["DCRF_CONNECTION_PREFIX"]
DJANGO_CHANNELS_REST_API = {
    **_EXAMPLE["DJANGO_CHANNELS_REST_API"],
    "CONNECTION_COUNT_TTL": float(os.environ.get("DCRF_CONNECTION_TTL", "60")),
}
