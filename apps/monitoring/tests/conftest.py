"""Monitoring test fixtures: chat's real inference worker and media folder, for replies served
end to end."""

from apps.chat.tests.conftest import inference_worker, media_root, var_dir  # noqa: F401
