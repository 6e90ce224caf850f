"""App configuration for the MLflow-compatible tracking API."""

from django.apps import AppConfig


class MlflowCompatConfig(AppConfig):
    name = "apps.mlflow_compat"
    label = "mlflow_compat"
