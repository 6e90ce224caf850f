/**
 * Cancel and Resume for a training run. Cancel, once confirmed, asks the worker to stop at its
 * next step (the checkpoint so far is kept); Resume queues a stopped run again from that
 * checkpoint, with extra steps when it had already finished.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';

import buttonRow from '../../../components/button-row.module.css';
import { Button } from '../../../components/ui/button';
import { ConfirmDialog, Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { useToast } from '../../../components/ui/toast';
import { ApiError } from '../../../lib/api-client';
import { trainingRunForRunQueryKey } from '../../../lib/api/get-training-run-for-run';
import { isActive, type TrainingRun } from '../../../lib/api/get-training-runs';
import { useCancelTrainingRun } from '../api/cancel-training-run';
import { useResumeTrainingRun } from '../api/resume-training-run';

export function RunControls({ training }: { training: TrainingRun }) {
  const queryClient = useQueryClient();
  const cancel = useCancelTrainingRun();
  const toast = useToast();
  const [resumeOpen, setResumeOpen] = useState(false);
  const [confirmOpen, setConfirmOpen] = useState(false);

  function store(updated: TrainingRun) {
    queryClient.setQueryData(trainingRunForRunQueryKey(training.run), updated);
  }

  function cancelRun() {
    cancel.mutate(training.id, {
      onSuccess: (updated) => {
        store(updated);
        setConfirmOpen(false);
        toast.add({
          title: updated.status === 'cancelled' ? 'Run cancelled' : 'Stopping the run',
          description:
            updated.status === 'cancelled'
              ? 'It had not started yet.'
              : 'It stops after the current step and keeps its last checkpoint.',
        });
      },
    });
  }

  const stopping = training.cancel_requested && isActive(training.status);
  return (
    <div className={buttonRow.row}>
      {isActive(training.status) ? (
        <Button variant="danger" onClick={() => setConfirmOpen(true)} disabled={stopping}>
          {stopping ? 'Stopping…' : 'Cancel run'}
        </Button>
      ) : (
        <Button onClick={() => setResumeOpen(true)}>Resume</Button>
      )}
      <ConfirmDialog
        open={confirmOpen}
        onOpenChange={(open) => {
          setConfirmOpen(open);
          if (!open) cancel.reset();
        }}
        title="Cancel this training run?"
        description={
          training.status === 'queued'
            ? 'It has not started yet, so nothing is lost. You can resume it later.'
            : 'It stops after the current step and keeps its last checkpoint. You can resume it later from there.'
        }
        confirmLabel="Cancel run"
        dismissLabel="Keep the run"
        onConfirm={cancelRun}
        pending={cancel.isPending}
        error={cancel.error ? `Could not cancel the run. ${cancel.error.message}` : undefined}
      />
      <Dialog
        open={resumeOpen}
        onOpenChange={setResumeOpen}
        title="Resume training"
        description="The run continues from its last checkpoint."
      >
        <ResumeForm
          training={training}
          onResumed={(updated) => {
            store(updated);
            setResumeOpen(false);
            toast.add({ title: 'Run queued again' });
          }}
        />
      </Dialog>
    </div>
  );
}

function ResumeForm({
  training,
  onResumed,
}: {
  training: TrainingRun;
  onResumed: (training: TrainingRun) => void;
}) {
  const resume = useResumeTrainingRun();
  const [fieldErrors, setFieldErrors] = useState<ApiError['fields']>({});
  const [formError, setFormError] = useState<string | null>(null);
  const finished = training.step >= training.max_steps;

  function submit(values: Record<string, unknown>) {
    setFormError(null);
    const extra = Number(values.extra_steps);
    resume.mutate(
      { trainingRunId: training.id, extraSteps: extra > 0 ? extra : undefined },
      {
        onSuccess: onResumed,
        onError: (error) => {
          const fields = error instanceof ApiError ? error.fields : {};
          setFieldErrors(fields);
          if (!('extra_steps' in fields)) setFormError(error.message);
        },
      },
    );
  }

  return (
    <Form errors={fieldErrors} onFormSubmit={submit} aria-label="Resume training">
      <TextField
        name="extra_steps"
        label="Extra steps"
        type="number"
        min={1}
        step={1}
        defaultValue={finished ? '1000' : ''}
        required={finished}
        description={
          finished
            ? `It already ran all ${training.max_steps.toLocaleString()} steps; add some to train longer.`
            : `Leave blank to finish the planned ${training.max_steps.toLocaleString()} steps.`
        }
      />
      {formError && <FormError>{formError}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={resume.isPending}>
          {resume.isPending ? 'Resuming…' : 'Resume training'}
        </Button>
      </DialogActions>
    </Form>
  );
}
