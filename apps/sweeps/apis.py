"""Sweep API: create and list sweeps (of training runs or of an external script), show one
with its trials and parameter importances, pause, resume and cancel it; and the agent's
routes for external sweeps: the next trial (or how long to wait for one), an intermediate
value (answering whether to prune), the agent's heartbeat, and the trial's end. Live changes arrive on the notifications socket as
`sweep.updated` events."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import paginate, paginated_schema

from . import services
from .models import Sweep, Trial
from .selectors import sweep_get, sweep_importances, sweep_list, trial_list


class TrialOutput(serializers.ModelSerializer):
    state_detail = serializers.CharField(read_only=True, help_text='e.g. "pruned at step 40"')
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Trial
        fields = ["id", "sweep", "number", "params", "run", "training_run", "state", "state_detail", "objective",
                  "pruned_step", "error", "duration_seconds", "created_at", "finished_at"]
        ref_name = "SweepTrial"


class SweepOutput(serializers.ModelSerializer):
    trial_count = serializers.IntegerField(read_only=True)
    running_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Sweep
        fields = ["id", "name", "kind", "experiment", "dataset_version", "base_config", "search_space",
                  "objective_metric", "direction", "sampler", "pruner", "pruner_startup_trials", "seed",
                  "max_trials", "max_wall_seconds", "parallelism", "status", "error", "best_trial",
                  "trial_count", "running_count", "created_at", "finished_at"]
        ref_name = "Sweep"


class SweepListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        kind = serializers.ChoiceField(choices=Sweep.Kind.choices, default=Sweep.Kind.TRAINING)
        experiment_id = serializers.IntegerField(required=False, allow_null=True)
        experiment_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
        dataset_version_id = serializers.IntegerField(required=False, allow_null=True)
        base_config = serializers.DictField(
            required=False, help_text="Training-engine options every trial shares, as for a training run.")
        search_space = serializers.ListField(
            child=serializers.DictField(), allow_empty=True,
            help_text='Parameter specs: {"name": "optim.lr", "type": "float", "low": 1e-4, "high": 1e-2, '
            '"log": true}; "int" (low, high, optional step); "categorical" (choices); an optional "when": '
            '{"<earlier categorical parameter>": value or [values]} draws it only under that condition. A '
            'training sweep names training options (section.key); an external one any short names.')
        objective_metric = serializers.CharField(
            max_length=250, default="val_loss",
            help_text="A training sweep's: val_loss, perplexity or loss (what training logs); an external "
            "one's: the name its agents report under.")
        direction = serializers.ChoiceField(choices=Sweep.Direction.choices, default=Sweep.Direction.MINIMIZE)
        sampler = serializers.ChoiceField(choices=Sweep.Sampler.choices, default=Sweep.Sampler.TPE)
        pruner = serializers.ChoiceField(choices=Sweep.Pruner.choices, default=Sweep.Pruner.NONE)
        pruner_startup_trials = serializers.IntegerField(min_value=0, max_value=1000, default=5)
        seed = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**31 - 1)
        max_trials = serializers.IntegerField(min_value=1, max_value=10_000, default=20)
        max_wall_seconds = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                                    max_value=30 * 86400)
        parallelism = serializers.IntegerField(min_value=1, max_value=64, default=1)

        class Meta:
            ref_name = "SweepCreate"

    @extend_schema(
        operation_id="sweeps_list",
        parameters=[OpenApiParameter("experiment", int, description="only the sweeps of this experiment")],
        responses=paginated_schema(SweepOutput, "Sweep"),
    )
    def get(self, request):
        experiment = request.query_params.get("experiment")
        if experiment is not None and not experiment.isdigit():
            raise ValidationError({"experiment": ["an experiment id is a whole number"]})
        sweeps = sweep_list(user=request.user, experiment_id=int(experiment) if experiment else None)
        return paginate(request, self, sweeps, SweepOutput)

    @extend_schema(operation_id="sweeps_create", request=InputSerializer, responses={201: SweepOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sweep = services.sweep_create(user=request.user, **data.validated_data)
        return Response(SweepOutput(sweep_get(user=request.user, sweep_id=sweep.pk)).data,
                        status=status.HTTP_201_CREATED)


class SweepDetailApi(APIView):
    @extend_schema(operation_id="sweeps_retrieve", responses=SweepOutput)
    def get(self, request, sweep_id: int):
        return Response(SweepOutput(sweep_get(user=request.user, sweep_id=sweep_id)).data)


def _action(name: str, service):
    class ActionApi(APIView):
        @extend_schema(operation_id=f"sweeps_{name}", request=None, responses=SweepOutput)
        def post(self, request, sweep_id: int):
            service(user=request.user, sweep_id=sweep_id)
            return Response(SweepOutput(sweep_get(user=request.user, sweep_id=sweep_id)).data)

    ActionApi.__name__ = ActionApi.__qualname__ = f"Sweep{name.title()}Api"
    return ActionApi


SweepPauseApi = _action("pause", services.sweep_pause)
SweepResumeApi = _action("resume", services.sweep_resume)
SweepCancelApi = _action("cancel", services.sweep_cancel)


class SweepTrialListApi(APIView):
    @extend_schema(operation_id="sweeps_trials", responses=TrialOutput(many=True))
    def get(self, request, sweep_id: int):
        return Response(TrialOutput(trial_list(user=request.user, sweep_id=sweep_id), many=True).data)


class SweepImportancesApi(APIView):
    class OutputSerializer(serializers.Serializer):
        param = serializers.CharField()
        importance = serializers.FloatField()

        class Meta:
            ref_name = "SweepParamImportance"

    @extend_schema(
        operation_id="sweeps_importances", responses=OutputSerializer(many=True),
        description="Each parameter's importance to the objective over the complete trials (Optuna's "
        "default evaluator, fANOVA), summing to 1, most important first; empty before two trials complete.",
    )
    def get(self, request, sweep_id: int):
        return Response(self.OutputSerializer(sweep_importances(user=request.user, sweep_id=sweep_id),
                                              many=True).data)


class SweepTrialNextApi(APIView):
    class OutputSerializer(serializers.Serializer):
        trial = TrialOutput(allow_null=True, help_text="null: no trial now (see retry_after)")
        retry_after = serializers.IntegerField(
            allow_null=True, help_text="with no trial: seconds to wait before asking again (the sweep is paused "
            "or all its parallel places are taken); null: the sweep takes no more trials")
        heartbeat_s = serializers.IntegerField(
            help_text="call the trial's heartbeat at least this often between reports; a trial silent for "
            "three times as long is failed as its agent's death")
        sweep_status = serializers.CharField()

        class Meta:
            ref_name = "SweepNextTrial"

    @extend_schema(operation_id="sweeps_trials_next", request=None, responses=OutputSerializer)
    def post(self, request, sweep_id: int):
        trial, retry_after = services.trial_next(user=request.user, sweep_id=sweep_id)
        sweep = sweep_get(user=request.user, sweep_id=sweep_id)
        return Response(self.OutputSerializer({
            "trial": trial, "retry_after": retry_after, "sweep_status": sweep.status,
            "heartbeat_s": services.agent_heartbeat_s()}).data)


class SweepTrialHeartbeatApi(APIView):
    @extend_schema(operation_id="sweeps_trials_heartbeat", request=None, responses={204: None})
    def post(self, request, sweep_id: int, trial_id: int):
        services.trial_heartbeat(user=request.user, sweep_id=sweep_id, trial_id=trial_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SweepTrialReportApi(APIView):
    class InputSerializer(serializers.Serializer):
        step = serializers.IntegerField(min_value=0, max_value=2**62)
        value = serializers.FloatField()

        class Meta:
            ref_name = "SweepTrialReport"

    class OutputSerializer(serializers.Serializer):
        should_prune = serializers.BooleanField()

        class Meta:
            ref_name = "SweepTrialReportResult"

    @extend_schema(operation_id="sweeps_trials_report", request=InputSerializer, responses=OutputSerializer)
    def post(self, request, sweep_id: int, trial_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        prune = services.trial_report(user=request.user, sweep_id=sweep_id, trial_id=trial_id,
                                      **data.validated_data)
        return Response(self.OutputSerializer({"should_prune": prune}).data)


class SweepTrialFinishApi(APIView):
    class InputSerializer(serializers.Serializer):
        state = serializers.ChoiceField(
            choices=[Trial.State.COMPLETE, Trial.State.PRUNED, Trial.State.FAILED], default=Trial.State.COMPLETE)
        objective = serializers.FloatField(required=False, allow_null=True)
        error = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

        class Meta:
            ref_name = "SweepTrialFinish"

    @extend_schema(operation_id="sweeps_trials_finish", request=InputSerializer, responses=TrialOutput)
    def post(self, request, sweep_id: int, trial_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        trial = services.trial_finish(user=request.user, sweep_id=sweep_id, trial_id=trial_id,
                                      **data.validated_data)
        return Response(TrialOutput(trial).data)
