/** Renaming a team, on its page for admins and owners; the server's message shows under the name. */
import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { useToast } from '../../../components/ui/toast';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import type { TeamDetail } from '../api/get-team';
import { useUpdateTeam } from '../api/update-team';

export function RenameForm({ team }: { team: TeamDetail }) {
  const update = useUpdateTeam(team.id);
  const toast = useToast();
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });

  function submit(values: Record<string, unknown>) {
    setErrors({ fields: {}, form: null });
    const name = typeof values.name === 'string' ? values.name.trim() : '';
    update.mutate(
      { name },
      {
        onSuccess: (renamed) => toast.add({ title: `The team is now called ${renamed.name}` }),
        onError: (error) => setErrors(submitErrors(error, new Set(['name']))),
      },
    );
  }

  return (
    <Form errors={errors.fields} onFormSubmit={submit} aria-label="Rename team">
      <TextField name="name" label="Team name" defaultValue={team.name} maxLength={100} required />
      {errors.form && <FormError>{errors.form}</FormError>}
      <div>
        <Button type="submit" variant="primary" disabled={update.isPending}>
          {update.isPending ? 'Saving…' : 'Rename'}
        </Button>
      </div>
    </Form>
  );
}
