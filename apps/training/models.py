"""A training run: what to train (dataset version, a preset or a base model version to
fine-tune and how, engine options) attached to a tracked experiment run, plus its hand-over
to the `train` queue (apps.training.dispatch), the lease that keeps one live execution at a
time, the compute it used, and the last lines of its log."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.core.models import OwnedModel


class TrainingRun(OwnedModel):
    class Method(models.TextChoices):
        SCRATCH = "scratch"  # a new model of a preset shape
        FULL = "full"  # every weight of the base trains
        LORA = "lora"  # adapters on the frozen base
        QLORA = "qlora"  # adapters on the base with its linear weights kept packed (Q8_0/Q4)
        DPO = "dpo"  # preference pairs against the frozen base (with adapters when config.lora)

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"
        CANCELLED = "cancelled"

    run = models.OneToOneField("experiments.Run", on_delete=models.CASCADE, related_name="training")
    dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", on_delete=models.PROTECT, related_name="training_runs"
    )
    # Whose tokenizer the run trains with when config.data.tokenizer is "model_version"; its
    # first execution copies the file, so deleting the version later leaves the run whole.
    tokenizer_model_version = models.ForeignKey(
        "registry.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The model version a fine-tune starts from. Its first execution links (or copies) the
    # version's file into the run's folder, so deleting the version later leaves the run whole.
    base_model_version = models.ForeignKey(
        "registry.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="fine_tunes"
    )
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.SCRATCH)
    # A separate dataset version to validate on (a recipe's validation part, say); without
    # one the tail of the training data validates.
    val_dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="validation_runs"
    )
    # Materialized features of the training version (apps.pipelines) that order the examples
    # (a curriculum, ascending or descending) or weight how often each is drawn; empty: none.
    curriculum_feature = models.CharField(max_length=64, blank=True)
    curriculum_order = models.CharField(max_length=4, choices=[("asc", "asc"), ("desc", "desc")], blank=True)
    weight_feature = models.CharField(max_length=64, blank=True)
    # The training engine's TrainConfig as a dict; data paths are filled in at execution.
    config = models.JSONField()
    # Processes per node and nodes an execution trains with (apps.training.launch): 1 x 1
    # trains inside the worker; more runs torchrun, each node from a train worker of its own.
    nproc_per_node = models.PositiveSmallIntegerField(default=1)
    nnodes = models.PositiveSmallIntegerField(default=1)
    # host:port of the rendezvous node 0's worker opened for the current execution, which
    # the other nodes' workers join; and each node's state ("0": "training", "1": "exited 1").
    rdzv_endpoint = models.CharField(max_length=300, blank=True)
    node_status = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # When it last joined the `train` queue (created or resumed): its place in line.
    queued_at = models.DateTimeField(default=timezone.now)
    # When the dispatcher last handed it to Celery, and the task id it was sent with: only
    # that task may execute it, so a message the dispatcher gave up on (never started before
    # DISPATCH_DEADLINE) does nothing if it turns up later. Empty until first dispatched.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_id = models.CharField(max_length=64, blank=True)
    step = models.PositiveIntegerField(default=0)
    max_steps = models.PositiveIntegerField()
    eta_seconds = models.FloatField(null=True, blank=True)
    tokens_per_s = models.FloatField(null=True, blank=True)
    best_val_loss = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Executions so far; more than one means it was resumed or recovered.
    attempts = models.PositiveIntegerField(default=0)
    # The execution holding the run (the task id) and when it last proved it is alive.
    lease_owner = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # What the data lost to the context the run trained with (its rows' length in tokens):
    # examples cut to fit, and preference pairs left out because their replies cannot fit.
    context_tokens = models.PositiveIntegerField(null=True, blank=True)
    cut_examples = models.PositiveIntegerField(default=0)
    dropped_pairs = models.PositiveIntegerField(default=0)
    last_checkpoint = models.CharField(max_length=500, blank=True)
    best_checkpoint = models.CharField(max_length=500, blank=True)
    # Compute its executions used, measured in the worker (all executions together): the
    # process's CPU time, and wall time times the CUDA devices it trained on.
    cpu_seconds = models.FloatField(default=0)
    gpu_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Serves the count of queued and running runs ahead of a queued one.
        indexes = [models.Index(fields=["status", "queued_at"], name="training_run_status_queued")]

    def __str__(self) -> str:
        return f"training of run {self.run_id}"


class TrainingComputeUsage(models.Model):
    """Compute measured for one run within one calendar month (UTC), so a run that spans a
    month's end counts each part against its own month's quota. It records whom it was charged
    to when it was measured: the account (the run's experiment's team, or the experiment's
    owner) and the user who queued the run, each of whose quotas it counts against. Moving the
    experiment later, or deleting the run, leaves what was used where it was counted."""

    training_run = models.ForeignKey(TrainingRun, null=True, on_delete=models.SET_NULL, related_name="compute_usage")
    month = models.DateField(help_text="the first day of the month (UTC)")
    # The account charged: a team, or a user (exactly one is set).
    team = models.ForeignKey("teams.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    account_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+")
    # Who queued the run.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    cpu_seconds = models.FloatField(default=0)
    gpu_seconds = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["training_run", "month", "team", "account_user"], nulls_distinct=False,
                                    condition=models.Q(training_run__isnull=False),
                                    name="training_compute_run_month"),
            models.CheckConstraint(condition=models.Q(team__isnull=True) ^ models.Q(account_user__isnull=True),
                                   name="training_compute_one_account"),
        ]
        indexes = [models.Index(fields=["month"], name="training_compute_month")]

    def __str__(self) -> str:
        return f"compute of {self.training_run_id} in {self.month:%Y-%m}"


class TrainingLogLine(models.Model):
    """One line of a run's log, kept so the log survives a reload; only the last
    `services.LOG_LINES_KEPT` of a run are kept. Reached through its run, so no owner."""

    # The (run, id) index below serves every lookup; a separate FK index would only cost writes.
    training_run = models.ForeignKey(
        TrainingRun, on_delete=models.CASCADE, related_name="log_lines", db_index=False
    )
    line = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["training_run", "id"], name="training_log_run_id")]

    def __str__(self) -> str:
        return self.line[:80]
