"""Django REST framework and the OpenAPI schema (drf-spectacular)."""

from .accounts import SLOUGHGPT_TRUSTED_PROXY_COUNT

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Refuses bodies nested too deep or holding NUL with a 400 (apps/core/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "apps.core.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Each account's API requests per minute, from its quota plan (apps.quotas.ratelimit).
    "DEFAULT_THROTTLE_CLASSES": ["apps.quotas.ratelimit.ApiRequestThrottle"],
    # Set so that a throttle keyed by address would key clients as the login limits do
    # (apps.core.client_ip); unset, DRF would trust every X-Forwarded-For entry a client sends.
    "NUM_PROXIES": SLOUGHGPT_TRUSTED_PROXY_COUNT,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "SloughGPT API",
    "DESCRIPTION": "Train, quantize, give personality to and chat with small language models.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The OpenAI-compatible /v1/ API is plain Django views; this hook adds it to the schema.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.chat.openai_schema.add_openai_paths",
    ],
    # Swagger UI assets ship in a package, so the docs page works without a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Each model's status choices get their own enum name in the generated client types.
    "ENUM_NAME_OVERRIDES": {
        "DatasetVersionStatusEnum": "apps.datasets.models.DatasetVersion.Status",
        "RunStatusEnum": "apps.experiments.models.RunStatus",
        "ModelVersionStatusEnum": "apps.registry.models.ModelVersion.Status",
        "ModelExportStatusEnum": "apps.registry.models.ModelExport.Status",
        "ModelExportFormatEnum": "apps.registry.models.ModelExport.Format",
        "DocumentStatusEnum": "apps.rag.models.Document.Status",
        "MessageStatusEnum": "apps.chat.models.Message.Status",
        "PersonalityKindEnum": "apps.personalities.models.Personality.Kind",
        "PersonalityVersionStatusEnum": "apps.personalities.models.PersonalityVersion.Status",
        "PersonalityApplicationMethodEnum": "apps.personalities.models.PersonalityApplication.Method",
        "TrainingRunMethodEnum": "apps.training.models.TrainingRun.Method",
        "SweepKindEnum": "apps.sweeps.models.Sweep.Kind",
        "QuotaLimitNameEnum": "apps.quotas.models.LIMIT_FIELDS",
        "TeamRoleEnum": "apps.teams.models.Role",
        "AccessRoleEnum": "apps.core.access_api.ACCESS_ROLES",
        "CardKindEnum": "apps.cards.models.Card.Kind",
        "CardStateEnum": "apps.cards.models.Card.State",
        "ModelVersionSourceEnum": "apps.registry.models.ModelVersion.Source",
        "InferenceRecordSourceEnum": "apps.monitoring.models.InferenceRecord.Source",
        "InferenceRecordStatusEnum": "apps.monitoring.models.InferenceRecord.Status",
        "MonitoringGranularityEnum": "apps.monitoring.models.UsageRollup.Granularity",
    },
}
