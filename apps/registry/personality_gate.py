"""The personality gate: a registered model may name a target personality version with
thresholds, `min_alignment` and `max_alignment_drift`. Moving a version to production then
needs its evaluation against that personality on the gate's own probe set (the
PERSONALITY_GATE_PROBES probes spread over the 61, GATE_MAX_TOKENS answer tokens; a ready
evaluation of the pair is reused only when it asked exactly those, so neither a hand-picked
subset nor a different answer length can stand in for it) to show:

- alignment (of the condition a chat with the version gets) >= `min_alignment`, and
- alignment no more than `max_alignment_drift` *below* the current production version's
  (measured against the same personality version on the same probes); a rise never refuses.

Promotion stays responsive: when an evaluation the gate needs does not exist yet, the gate
starts it (on the `train` queue; one at a time per version, under a lock on the version's
row) and answers 409
`personality_evaluation_running`, "try again when it finishes"; the evaluation's progress
comes over the notifications socket (`personality_evaluation.progress`). A running evaluation
whose worker stopped reporting for the lease timeout, or one no worker took up within an hour,
is dead and replaced. A failing version is
refused with 409 `personality_gate_failed` naming what was measured. Staff may override with a
note: the move goes ahead and the stage history keeps the note and what the gate measured
(`StageTransition.gate`).

Export reports gain a personality row (`export_row`): alignment and VADER of the quantized
file's answers against the F32 file's on EXPORT_PROBES probes."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.exceptions import PermissionDenied

from apps.core.errors import Conflict

from .models import ModelVersion, Stage

GATE_MAX_TOKENS = 64
EXPORT_PROBES = 6
EXPORT_MAX_TOKENS = 48


class GateFailed(Conflict):
    default_code = "personality_gate_failed"


class GateEvaluationRunning(Conflict):
    default_code = "personality_evaluation_running"


@dataclass
class GateResult:
    passed: bool
    reasons: list[str] = field(default_factory=list)
    measured: dict = field(default_factory=dict)

    def record(self, **extra) -> dict:
        """What the stage history keeps."""
        return {"passed": self.passed, "reasons": self.reasons, **self.measured, **extra}


def _production(version: ModelVersion) -> ModelVersion | None:
    return (ModelVersion.objects.filter(registered_model=version.registered_model, stage=Stage.PRODUCTION)
            .exclude(pk=version.pk).first())


def gate_probe_ids() -> list[int]:
    """The probes every gate evaluation asks: PERSONALITY_GATE_PROBES of them, spread over the
    set (every category, a few minutes for the starter model at the default 16)."""
    from apps.personalities import evaluations

    return evaluations.probe_ids_choose(probes=settings.PERSONALITY_GATE_PROBES)


def _evaluations(versions: list[ModelVersion], target, *, user, start: bool) -> tuple[dict, list[str]]:
    """({version id: ready evaluation}, [what is still to finish]), every one on the gate's
    probes; with `start`, an evaluation (`user`'s, who asked) is started for each version
    that has no live one."""
    from apps.personalities import evaluations

    probe_ids = gate_probe_ids()
    on_gate_probes = {"personality_version": target, "probe_ids": probe_ids, "max_tokens": GATE_MAX_TOKENS}
    ready, pending = {}, []
    for version in versions:
        found = evaluations.evaluation_ready_on(version=version, **on_gate_probes)
        if found is not None:
            ready[version.pk] = found
            continue
        running = evaluations.evaluation_live_on(version=version, **on_gate_probes)
        if running is None and start:
            evaluations.evaluation_check(version=version, **on_gate_probes)
            with transaction.atomic():  # committed even though the request then answers 409
                # Two promotions at once: the second waits here, then finds the first's.
                ModelVersion.objects.select_for_update().filter(pk=version.pk).first()
                running = (evaluations.evaluation_live_on(version=version, **on_gate_probes)
                           or evaluations.evaluation_create(user=user, version=version, **on_gate_probes))
        pending.append(f"{version} (evaluation {running.pk})" if running else f"{version} (not started)")
    return ready, pending


def _judge(version: ModelVersion, production: ModelVersion | None, ready: dict, target) -> GateResult:
    model = version.registered_model
    evaluation = ready[version.pk]
    alignment = evaluation.report.get("alignment")
    measured = {"personality_version": target.pk, "evaluation": evaluation.pk, "alignment": alignment,
                "min_alignment": model.min_alignment, "max_alignment_drift": model.max_alignment_drift}
    reasons = []
    if alignment is None:
        reasons.append(f"evaluation {evaluation.pk} measured no alignment")
    elif model.min_alignment is not None and alignment < model.min_alignment:
        reasons.append(f"alignment {alignment:.3f} is below the minimum {model.min_alignment:.3f}")
    if production is not None and production.pk in ready and alignment is not None:
        before = ready[production.pk].report.get("alignment")
        if before is not None:
            drop = round(before - alignment, 4)
            measured.update(production_version=production.pk, production_alignment=before,
                            production_evaluation=ready[production.pk].pk, alignment_drop=drop)
            if drop > model.max_alignment_drift:
                reasons.append(f"alignment fell {drop:.3f} from production {production.version}'s "
                               f"{before:.3f}, more than the allowed {model.max_alignment_drift:.3f}")
    return GateResult(passed=not reasons, reasons=reasons, measured=measured)


def gate_check(version: ModelVersion, *, user, start: bool = True) -> GateResult | None:
    """The gate's verdict on moving `version` to production; None when its model has no
    target personality. Raises GateEvaluationRunning while an evaluation it needs runs (with
    `start`, after starting the missing ones)."""
    model = version.registered_model
    target = model.target_personality_version
    if target is None:
        return None
    production = _production(version) if model.max_alignment_drift is not None else None
    versions = [version] + ([production] if production is not None else [])
    ready, pending = _evaluations(versions, target, user=user, start=start)
    if pending:
        raise GateEvaluationRunning(
            f"the personality gate needs the evaluation of {' and '.join(pending)} against {target}: "
            "evaluation running, try again when it finishes")
    return _judge(version, production, ready, target)


def gate_for_production(*, user, version: ModelVersion, override: bool, note: str) -> dict:
    """What the stage history keeps for a move to production ({} without a gate), or the
    refusal: 409 with the measured reasons, 409 while an evaluation runs; a staff `override`
    with a note moves the version whatever the gate says."""
    if override:
        if not user.is_staff:
            raise PermissionDenied("only staff may override the personality gate")
        if not note.strip():
            raise ValidationError({"note": ["say why the personality gate is overridden"]})
        try:
            result = gate_check(version, user=user, start=False)
        except GateEvaluationRunning as exc:
            return {"overridden": True, "passed": False, "reasons": [str(exc.detail)]}
        return {} if result is None else result.record(overridden=True)
    result = gate_check(version, user=user)
    if result is None:
        return {}
    if not result.passed:
        target = version.registered_model.target_personality_version
        raise GateFailed(
            f"the personality gate refused production for {version} against {target}: "
            f"{'; '.join(result.reasons)} (evaluation {result.measured['evaluation']}); staff may "
            "override with a note")
    return result.record()


def targets_check(*, user, target_personality_version_id: int | None, min_alignment: float | None,
                  max_alignment_drift: float | None):
    """The personality version a model's gate targets (one the user may see and that is ready:
    a neural version still training, or one that failed, cannot be measured), with its
    thresholds checked; None clears the gate."""
    from apps.personalities.selectors import personality_version_get

    if target_personality_version_id is None:
        return None
    for name, value in (("min_alignment", min_alignment), ("max_alignment_drift", max_alignment_drift)):
        if value is not None and not 0.0 <= value <= 1.0:
            raise ValidationError({name: ["between 0 and 1 (alignment is a score in [0, 1])"]})
    if min_alignment is None and max_alignment_drift is None:
        raise ValidationError({"min_alignment": ["give min_alignment, max_alignment_drift or both"]})
    target = personality_version_get(user=user, version_id=target_personality_version_id)
    if target.status != target.Status.READY:
        raise ValidationError({"target_personality_version_id": [
            f"{target} is {target.status}, not ready: a gate can target only a ready personality version"]})
    return target


def export_row(*, canonical, quantized, version: ModelVersion) -> dict | None:
    """The export report's personality row, None without a target personality: alignment and
    VADER compound of the quantized file against the F32 file on EXPORT_PROBES probes."""
    from apps.core.user_paths import error_text
    from apps.personalities import evaluations
    from apps.personalities.loader import personality_version_load

    target = version.registered_model.target_personality_version
    if target is None:
        return None
    row = {"personality_version": target.pk, "personality": str(target), "probes": EXPORT_PROBES,
           "max_tokens": EXPORT_MAX_TOKENS}
    try:
        persona = personality_version_load(target)
        probe_ids = evaluations.probe_ids_choose(probes=EXPORT_PROBES)
        f32, quant = (evaluations.served_measure(path, persona, probe_ids=probe_ids, max_tokens=EXPORT_MAX_TOKENS)
                      for path in (canonical, quantized))
    except Exception as exc:  # the export stands; its personality row says why it is missing
        return {**row, "error": error_text(exc)}
    return {**row, "f32": f32, "quantized": quant,
            "alignment_delta": round(quant["alignment"] - f32["alignment"], 4),
            "vader_delta": round(quant["vader_compound"] - f32["vader_compound"], 4)}
