/** The "New experiment" dialog: a name and an optional description, server errors by field. */
import { CreateNamedDialog } from '../../../components/create-named-dialog';
import { type CreatedExperiment, useCreateExperiment } from '../api/create-experiment';

interface CreateExperimentDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (experiment: CreatedExperiment) => void;
}

export function CreateExperimentDialog(props: CreateExperimentDialogProps) {
  return (
    <CreateNamedDialog
      {...props}
      title="New experiment"
      description="An experiment groups runs that answer one question, so they can be compared."
      namePlaceholder="e.g. learning-rate sweep"
      descriptionHint="Optional."
      submitLabel="Create experiment"
      useCreate={useCreateExperiment}
    />
  );
}
