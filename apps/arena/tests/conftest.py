"""Arena test fixtures: chat's media folder and real inference worker (a battle's sides are
generated there, as chat replies are)."""

from apps.chat.tests.conftest import inference_worker, media_root, var_dir  # noqa: F401
