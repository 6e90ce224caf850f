/** The "New dataset" dialog: a name and an optional description, server errors by field. */
import { CreateNamedDialog } from '../../../components/create-named-dialog';
import { type CreatedDataset, useCreateDataset } from '../api/create-dataset';

interface CreateDatasetDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (dataset: CreatedDataset) => void;
}

export function CreateDatasetDialog(props: CreateDatasetDialogProps) {
  return (
    <CreateNamedDialog
      {...props}
      title="New dataset"
      description="A dataset holds versions of your training text. Upload the first file once it exists."
      namePlaceholder="e.g. shakespeare"
      descriptionHint="Optional: where the text comes from, what it is for."
      submitLabel="Create dataset"
      useCreate={useCreateDataset}
    />
  );
}
