"""Quota API: your usage of each limit, a team's (for its members), and the staff API that sets
an account's plan and overrides."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.teams.selectors import membership_get

from . import services
from .accounts import account_for_team, account_for_user
from .limits import limits_for
from .models import LIMIT_FIELDS, Plan
from .selectors import TEAM_LIMITS, account_quota_get, staff_account_get, usage_list


class UsageOutput(serializers.Serializer):
    class Limit(serializers.Serializer):
        name = serializers.ChoiceField(choices=LIMIT_FIELDS)
        used = serializers.FloatField()
        limit = serializers.IntegerField(allow_null=True, help_text="null: unlimited")
        resets_at = serializers.DateTimeField(allow_null=True, help_text="null: frees up as things finish or are deleted")
        what_counts = serializers.CharField()

        class Meta:
            ref_name = "QuotaLimitUsage"

    limits = Limit(many=True)

    class Meta:
        ref_name = "QuotaUsage"


class UsageApi(APIView):
    @extend_schema(operation_id="usage_retrieve", responses=UsageOutput,
                   summary="Your use of each limit of your plan.")
    def get(self, request):
        return Response(UsageOutput({"limits": usage_list(account_for_user(request.user))}).data)


class TeamUsageApi(APIView):
    @extend_schema(operation_id="team_usage_retrieve", responses=UsageOutput,
                   summary=f"A team's use of its limits ({', '.join(TEAM_LIMITS)}), for its members.")
    def get(self, request, team_id: int):
        membership = membership_get(user=request.user, team_id=team_id)
        return Response(UsageOutput({"limits": usage_list(account_for_team(membership.team))}).data)


# The largest value a limit's column (a PostgreSQL bigint) holds.
LIMIT_MAX = 2**63 - 1


def _override() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=LIMIT_MAX, allow_null=True, required=False,
                                    help_text="null or left out: the plan's value")


class StaffQuotaApi(APIView):
    class Input(serializers.Serializer):
        plan = serializers.SlugRelatedField(slug_field="name", queryset=Plan.objects.all(), allow_null=True,
                                            required=False, help_text="A plan's name; null: the default plan.")
        storage_bytes = _override()
        compute_seconds_per_month = _override()
        concurrent_runs = _override()
        chat_tokens_per_day = _override()
        concurrent_generations = _override()
        api_requests_per_minute = _override()

        class Meta:
            ref_name = "StaffQuotaInput"

    class Output(serializers.Serializer):
        plan = serializers.CharField(allow_null=True, help_text="null: the default plan")
        overrides = serializers.DictField(child=serializers.IntegerField(allow_null=True))
        limits = serializers.DictField(child=serializers.IntegerField(allow_null=True),
                                       help_text="What is in force: the plan's limits with the overrides.")

        class Meta:
            ref_name = "StaffQuota"

    def _output(self, account) -> dict:
        quota = account_quota_get(account)
        limits = limits_for(account)
        return self.Output({
            "plan": quota.plan.name if quota is not None and quota.plan is not None else None,
            "overrides": {name: getattr(quota, name) if quota else None for name in LIMIT_FIELDS},
            "limits": {name: getattr(limits, name) for name in LIMIT_FIELDS},
        }).data

    @extend_schema(operation_id="staff_quota_retrieve", responses=Output, summary="Staff only.")
    def get(self, request, kind: str, account_id: int):
        account, _ = staff_account_get(user=request.user, kind=kind, account_id=account_id)
        return Response(self._output(account))

    @extend_schema(operation_id="staff_quota_update", request=Input, responses=Output,
                   summary="Staff only: set the account's plan and overrides (recorded in the audit log).")
    def put(self, request, kind: str, account_id: int):
        account, holder = staff_account_get(user=request.user, kind=kind, account_id=account_id)
        serializer = self.Input(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.account_quota_set(actor=request.user, account=account, holder=holder, plan=data.get("plan"),
                                   overrides={name: data.get(name) for name in LIMIT_FIELDS})
        return Response(self._output(account))
