"""Training-run API: create from a dataset version (optionally another to validate on, and a
materialized feature to order or weight its records by) and engine options, list, show,
cancel, resume, and the run's kept log. Live metrics and log lines stream over the run's WebSocket
(`/ws/runs/<run id>/`)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.access import Action
from apps.core.access_api import SCOPE_PARAMETER, access_role_field, scope_of
from apps.core.pagination import paginate, paginated_schema

from . import services
from .models import TrainingRun
from .selectors import training_run_get, training_run_list, training_run_log, training_run_places


class BaseVersionSummary(serializers.Serializer):
    id = serializers.IntegerField()
    registered_model = serializers.IntegerField(source="registered_model_id")
    model_name = serializers.CharField(source="registered_model.name")
    version = serializers.CharField()
    architecture = serializers.CharField(source="architecture.arch", default="")

    class Meta:
        ref_name = "TrainingRunBaseVersion"


class CurriculumInput(serializers.Serializer):
    feature = serializers.CharField(
        max_length=64, help_text="A number feature materialized for the training dataset version "
        "(GET /api/v1/dataset-versions/<id>/features/), e.g. chars or flesch_reading_ease.")
    order = serializers.ChoiceField(choices=["asc", "desc"], default="asc",
                                    help_text="asc: the lowest values first (shortest, say); desc: the highest.")

    class Meta:
        ref_name = "TrainingCurriculum"


class WeightByInput(serializers.Serializer):
    feature = serializers.CharField(
        max_length=64, help_text="A number feature materialized for the training dataset version, "
        "never negative: records are drawn in proportion to it.")

    class Meta:
        ref_name = "TrainingWeightBy"


class TrainingRunOutput(serializers.ModelSerializer):
    base_model_version = BaseVersionSummary(
        read_only=True, allow_null=True,
        help_text="The model version a fine-tune started from; null for a run from scratch, or "
        "once that version was deleted (the run keeps its copy of the base).",
    )
    experiment = serializers.IntegerField(source="run.experiment_id")
    name = serializers.CharField(source="run.name")
    runs_ahead = serializers.SerializerMethodField(
        help_text="For a run waiting for a training slot, how many waiting runs (of all users) "
        "start before it: users take turns, each their oldest waiting run first. Null for a run "
        "that is not waiting (one handed to a worker is about to start).",
    )

    curriculum = serializers.SerializerMethodField(
        help_text="The feature the training records come in the order of, or null (shuffled).")
    weight_by = serializers.SerializerMethodField(
        help_text="The feature the training records are drawn in proportion to, or null.")

    access_role = access_role_field()

    class Meta:
        model = TrainingRun
        fields = [
            "id", "run", "experiment", "name", "dataset_version", "val_dataset_version", "curriculum",
            "weight_by", "tokenizer_model_version",
            "method", "base_model_version", "config", "status", "step",
            "max_steps", "eta_seconds", "tokens_per_s", "best_val_loss", "context_tokens", "cut_examples",
            "dropped_pairs", "error", "attempts", "nproc_per_node", "nnodes", "node_status",
            "cancel_requested", "runs_ahead", "queued_at", "cpu_seconds", "gpu_seconds", "created_at",
            "updated_at", "access_role",
        ]
        ref_name = "TrainingRun"
        extra_kwargs = {
            "val_dataset_version": {"help_text": "The dataset version the run validates on; null: the "
                                    "tail of its training data (config.data.val_fraction)."},
            "context_tokens": {"help_text": "Tokens per training row (the context) the run trained "
                               "with; null until it has trained."},
            "cut_examples": {"help_text": "Examples longer than the context, cut to fit (for DPO: "
                             "pairs whose prompt was shortened)."},
            "dropped_pairs": {"help_text": "Preference pairs left out: their replies cannot fit the "
                              "context beside any prompt."},
            "cpu_seconds": {"help_text": "CPU time its executions used so far (counted against the "
                            "monthly compute quota, updated while it runs)."},
            "gpu_seconds": {"help_text": "Wall time times the GPUs its executions trained on; 0 on CPUs."},
            "nproc_per_node": {"help_text": "Training processes on each node."},
            "nnodes": {"help_text": "Nodes the run trains on at once."},
        }

    node_status = serializers.DictField(
        child=serializers.CharField(), read_only=True,
        help_text="A multi-process run's nodes by node rank, each training, finished, exited <code> "
        "or refused (its worker cannot hold the processes); empty for a run in one process.")

    @extend_schema_field(CurriculumInput(allow_null=True))
    def get_curriculum(self, training_run: TrainingRun) -> dict | None:
        if not training_run.curriculum_feature:
            return None
        return {"feature": training_run.curriculum_feature, "order": training_run.curriculum_order or "asc"}

    @extend_schema_field(WeightByInput(allow_null=True))
    def get_weight_by(self, training_run: TrainingRun) -> dict | None:
        return {"feature": training_run.weight_feature} if training_run.weight_feature else None

    def get_runs_ahead(self, training_run: TrainingRun) -> int | None:
        if training_run.status != TrainingRun.Status.QUEUED:
            return None
        # One look at the line serves every run of the page (the list this serializer is a
        # child of), or the one run shown.
        if "places" not in self.context:
            page = self.parent.instance if self.parent is not None else [training_run]
            self.context["places"] = training_run_places([run.pk for run in page])
        return self.context["places"].get(training_run.pk)


class TrainingRunListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        dataset_version_id = serializers.IntegerField()
        val_dataset_version_id = serializers.IntegerField(
            required=False, allow_null=True,
            help_text="Validate on this valid dataset version you can read (a recipe's validation part, "
            "say) instead of the tail of the training data; 404 for any other.",
        )
        curriculum = CurriculumInput(
            required=False, allow_null=True,
            help_text="Present the training records in the order of a materialized feature (shortest "
            "first, easiest first, ...) instead of shuffled. Needs a .jsonl or .csv version.",
        )
        weight_by = WeightByInput(
            required=False, allow_null=True,
            help_text="Draw the training records in proportion to a materialized feature.",
        )
        config = serializers.DictField(
            help_text="Training-engine options by section: model (preset, n_layer, ...), data "
            "(tokenizer: char, bpe or model_version; ...), optim (lr, schedule, warmup_iters, ...), "
            "train (max_iters, batch_size, grad_accum, precision, ...), and for a fine-tune lora "
            "(r, alpha, dropout, target_modules, base_type) and dpo (beta). Options outside this "
            "allow-list (paths, devices, ...) are refused by name."
        )
        base_model_version_id = serializers.IntegerField(
            required=False, allow_null=True,
            help_text="Fine-tune this ready model version you can read (404 for any other, 409 while "
            "it is not ready) with its tokenizer and chat template.",
        )
        method = serializers.ChoiceField(
            choices=TrainingRun.Method.choices, required=False, allow_null=True,
            help_text="scratch: a new model of config.model.preset (the default without a base); "
            "full: every weight of the base (the default with one); lora: adapters on the frozen "
            "base; qlora: adapters over the base kept packed (config.lora.base_type Q8_0, Q4_0 or "
            "Q4_1; Q8_0 unless told); dpo: preference pairs against the frozen base (with adapters "
            "when config.lora is given). SFT methods take prompt/response or messages records; dpo "
            "takes prompt/chosen/rejected records.",
        )
        tokenizer_model_version_id = serializers.IntegerField(
            required=False, allow_null=True,
            help_text="Train with the tokenizer of this ready model version you can read "
            "(config.data.tokenizer is then model_version).",
        )
        experiment_id = serializers.IntegerField(required=False, allow_null=True)
        experiment_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
        name = serializers.CharField(required=False, allow_blank=True, max_length=200)
        nproc_per_node = serializers.IntegerField(
            required=False,
            help_text="Training processes on each node (one per GPU, or per CPU core; default 1), 1 to the "
            "server's SLOUGHGPT_MAX_PROCS_PER_NODE; more than 1 runs under torchrun "
            "(config.train.distributed: ddp, fsdp or zero). Each process trains batch_size x "
            "grad_accum rows per step.",
        )
        nnodes = serializers.IntegerField(
            required=False,
            help_text="Nodes (train workers, usually one per host) the run trains on at once (default 1), 1 to "
            "the server's SLOUGHGPT_MAX_NODES.",
        )

        class Meta:
            ref_name = "TrainingRunCreate"

    @extend_schema(
        operation_id="training_runs_list",
        parameters=[OpenApiParameter("run", int, description="only the training of this tracked run"),
                    SCOPE_PARAMETER],
        responses=paginated_schema(TrainingRunOutput, "TrainingRun"),
    )
    def get(self, request):
        runs = training_run_list(user=request.user, scope=scope_of(request))
        run_id = request.query_params.get("run")
        if run_id is not None:
            if not run_id.isdigit():
                raise ValidationError({"run": ["a run id is a whole number"]})
            runs = runs.filter(run_id=int(run_id))
        return paginate(request, self, runs, TrainingRunOutput)

    @extend_schema(operation_id="training_runs_create", request=InputSerializer, responses={201: TrainingRunOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        training_run = services.training_run_create(user=request.user, **data.validated_data)
        training_run = training_run_get(user=request.user, training_run_id=training_run.pk)
        return Response(TrainingRunOutput(training_run).data, status=status.HTTP_201_CREATED)


class TrainingRunDetailApi(APIView):
    @extend_schema(operation_id="training_runs_retrieve", responses=TrainingRunOutput)
    def get(self, request, training_run_id: int):
        training_run = training_run_get(user=request.user, training_run_id=training_run_id)
        return Response(TrainingRunOutput(training_run).data)


class TrainingRunCancelApi(APIView):
    @extend_schema(operation_id="training_runs_cancel", request=None, responses=TrainingRunOutput)
    def post(self, request, training_run_id: int):
        services.training_run_cancel(user=request.user, training_run_id=training_run_id)
        training_run = training_run_get(user=request.user, training_run_id=training_run_id)
        return Response(TrainingRunOutput(training_run).data)


class TrainingRunResumeApi(APIView):
    class InputSerializer(serializers.Serializer):
        extra_steps = serializers.IntegerField(required=False, min_value=1, allow_null=True)

        class Meta:
            ref_name = "TrainingRunResume"

    @extend_schema(operation_id="training_runs_resume", request=InputSerializer, responses=TrainingRunOutput)
    def post(self, request, training_run_id: int):
        training_run_get(user=request.user, training_run_id=training_run_id, action=Action.RUN)  # 404/403 before 400
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.training_run_resume(user=request.user, training_run_id=training_run_id, **data.validated_data)
        training_run = training_run_get(user=request.user, training_run_id=training_run_id)
        return Response(TrainingRunOutput(training_run).data)


class TrainingRunLogApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class LineSerializer(serializers.Serializer):
            id = serializers.IntegerField(help_text="increases line by line; live lines carry it too")
            line = serializers.CharField()
            created_at = serializers.DateTimeField()

            class Meta:
                ref_name = "TrainingLogLine"

        lines = LineSerializer(many=True)

        class Meta:
            ref_name = "TrainingLog"

    @extend_schema(
        operation_id="training_runs_log",
        responses=OutputSerializer,
        description=f"The run's last log lines (up to {services.LOG_LINES_KEPT}), oldest first. "
        "Lines written later arrive over the run's WebSocket as `run.log` events with their id.",
    )
    def get(self, request, training_run_id: int):
        lines = training_run_log(user=request.user, training_run_id=training_run_id)
        return Response(self.OutputSerializer({"lines": lines}).data)
