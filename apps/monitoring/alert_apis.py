"""Alert API: your rules (list, create, show, change, delete, rotate the webhook's secret), the
series a rule may watch, and your rules' events with how each notice was delivered. A rule's
webhook secret is never read back: the response that made it (the create or change that set
a webhook, or a rotation) is the one place it appears. Live events arrive on the
notifications socket as `alert.fired` / `alert.resolved`."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import paginate, paginated_schema

from . import alert_rules
from .alert_selectors import alert_event_list, alert_rule_get, alert_rule_list
from .models import AlertDelivery, AlertEvent, AlertRule

SECRET_HELP = ("The HMAC-SHA256 key of the webhook's signature header, shown only in this response: "
               "keep it now (a lost one is replaced by rotating it).")


class AlertRuleOutput(serializers.ModelSerializer):
    model_version_label = serializers.SerializerMethodField(help_text='e.g. "poet:1.0.0"; null for none')
    # A string, "" for none: the model field's URI format would not describe the empty answer.
    webhook_url = serializers.CharField(read_only=True, help_text='the http(s) URL called; "" for none')
    firing = serializers.BooleanField(read_only=True, help_text="whether the rule has an open event now")

    class Meta:
        model = AlertRule
        fields = ["id", "name", "model_version", "model_version_label", "series", "comparison", "threshold",
                  "window", "enabled", "notify_portal", "notify_email", "webhook_url",
                  "last_evaluated_at", "last_value", "last_note", "firing", "created_at", "updated_at"]
        read_only_fields = fields
        ref_name = "AlertRule"

    def get_model_version_label(self, rule) -> str | None:
        return str(rule.model_version) if rule.model_version_id else None


class AlertRuleSavedOutput(AlertRuleOutput):
    """A rule as a create or change answers it: with the webhook secret it was just given."""

    webhook_secret = serializers.CharField(read_only=True, allow_null=True,
                                           help_text=SECRET_HELP + " Null when this request made none.")

    class Meta(AlertRuleOutput.Meta):
        fields = [*AlertRuleOutput.Meta.fields, "webhook_secret"]
        read_only_fields = fields
        ref_name = "AlertRuleSaved"


def _saved(request, rule_id: int, new_secret: str | None) -> dict:
    rule = alert_rule_get(user=request.user, rule_id=rule_id)
    rule.webhook_secret = new_secret
    return AlertRuleSavedOutput(rule).data


class AlertRuleInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    model_version = serializers.IntegerField(
        required=False, allow_null=True,
        help_text="A model version you may read; null: the site (staff) or a quota rule.")
    series = serializers.CharField(max_length=64, help_text="One of GET /alerts/series/.")
    comparison = serializers.ChoiceField(choices=AlertRule.Comparison.choices, default=AlertRule.Comparison.GTE)
    threshold = serializers.FloatField(default=0, help_text="Ignored by drift rules; a percent for quota rules.")
    window = serializers.ChoiceField(choices=["hour", "day"], default="hour")
    enabled = serializers.BooleanField(default=True)
    notify_portal = serializers.BooleanField(default=True)
    notify_email = serializers.BooleanField(default=False)
    webhook_url = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                        help_text="http(s) URL; private and loopback addresses are refused.")

    class Meta:
        ref_name = "AlertRuleInput"


class AlertRuleListCreateApi(APIView):
    @extend_schema(operation_id="alert_rules_list", responses=paginated_schema(AlertRuleOutput, "AlertRule"))
    def get(self, request):
        return paginate(request, self, alert_rule_list(user=request.user), AlertRuleOutput)

    @extend_schema(operation_id="alert_rules_create", request=AlertRuleInput, responses={201: AlertRuleSavedOutput})
    def post(self, request):
        data = AlertRuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        rule = alert_rules.alert_rule_create(user=request.user, **data.validated_data)
        return Response(_saved(request, rule.pk, rule.webhook_secret or None), status=status.HTTP_201_CREATED)


class AlertRuleDetailApi(APIView):
    @extend_schema(operation_id="alert_rules_retrieve", responses=AlertRuleOutput)
    def get(self, request, rule_id: int):
        return Response(AlertRuleOutput(alert_rule_get(user=request.user, rule_id=rule_id)).data)

    @extend_schema(operation_id="alert_rules_update", request=AlertRuleInput(partial=True),
                   responses=AlertRuleSavedOutput)
    def patch(self, request, rule_id: int):
        data = AlertRuleInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        new_secret = alert_rules.alert_rule_update(user=request.user, rule_id=rule_id, **data.validated_data)
        return Response(_saved(request, rule_id, new_secret))

    @extend_schema(operation_id="alert_rules_destroy", responses={204: None})
    def delete(self, request, rule_id: int):
        alert_rules.alert_rule_delete(user=request.user, rule_id=rule_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertRuleRotateSecretApi(APIView):
    class Output(serializers.Serializer):
        webhook_secret = serializers.CharField(help_text=SECRET_HELP)

        class Meta:
            ref_name = "AlertRuleSecret"

    @extend_schema(operation_id="alert_rules_rotate_secret", request=None, responses=Output,
                   summary="A new webhook secret for the rule, replacing the old one at once.")
    def post(self, request, rule_id: int):
        secret = alert_rules.alert_rule_rotate_secret(user=request.user, rule_id=rule_id)
        return Response(self.Output({"webhook_secret": secret}).data)


class AlertSeriesApi(APIView):
    class Output(serializers.Serializer):
        series = serializers.ListField(child=serializers.CharField())

        class Meta:
            ref_name = "AlertSeries"

    @extend_schema(operation_id="alert_series_list", responses=Output,
                   summary="What a rule may watch: monitored series, drift:<kind> and quota:<limit>.")
    def get(self, request):
        return Response(self.Output({"series": alert_rules.series_choices()}).data)


class AlertDeliveryOutput(serializers.ModelSerializer):
    class Meta:
        model = AlertDelivery
        fields = ["id", "channel", "notice", "status", "attempts", "last_error", "delivered_at"]
        read_only_fields = fields
        ref_name = "AlertDelivery"


class AlertEventOutput(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    deliveries = AlertDeliveryOutput(many=True, read_only=True)

    class Meta:
        model = AlertEvent
        fields = ["id", "rule", "rule_name", "fired_at", "resolved_at", "value", "message", "deliveries"]
        read_only_fields = fields
        ref_name = "AlertEvent"


class AlertEventListApi(APIView):
    @extend_schema(operation_id="alert_events_list",
                   parameters=[OpenApiParameter("rule", int, description="only this rule's events")],
                   responses=paginated_schema(AlertEventOutput, "AlertEvent"))
    def get(self, request):
        rule = request.query_params.get("rule")
        if rule is not None and not rule.isdigit():
            raise ValidationError({"rule": ["a rule id is a whole number"]})
        return paginate(request, self, alert_event_list(user=request.user, rule_id=rule), AlertEventOutput)
