/** The invite form of a team's page: an e-mail address and a role; the server mails the link. */
import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { useToast } from '../../../components/ui/toast';
import type { TeamRole } from '../../../lib/api/get-teams';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import { useCreateInvitation } from '../api/create-invitation';
import styles from './teams.module.css';

export function InviteForm({ teamId, myRole }: { teamId: number; myRole: TeamRole }) {
  const invite = useCreateInvitation(teamId);
  const toast = useToast();
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });
  // Remounting the form after a success empties it for the next address.
  const [round, setRound] = useState(0);
  const roles = ['viewer', 'member', 'admin', ...(myRole === 'owner' ? ['owner'] : [])];

  function submit(values: Record<string, unknown>) {
    setErrors({ fields: {}, form: null });
    const email = typeof values.email === 'string' ? values.email : '';
    const role = typeof values.role === 'string' ? values.role : 'member';
    invite.mutate(
      { email, role },
      {
        onSuccess: () => {
          toast.add({
            title: 'Invitation sent',
            description: `${email} will get a link by e-mail.`,
          });
          setRound(round + 1);
        },
        onError: (error) => setErrors(submitErrors(error, new Set(['email', 'role']))),
      },
    );
  }

  return (
    <Form key={round} errors={errors.fields} onFormSubmit={submit} aria-label="Invite by e-mail">
      <div className={styles.inviteRow}>
        <TextField name="email" label="E-mail address" type="email" autoComplete="off" required />
        <SelectField
          name="role"
          label="Role"
          defaultValue="member"
          options={roles.map((role) => ({ value: role, label: role }))}
        />
      </div>
      {errors.form && <FormError>{errors.form}</FormError>}
      <div>
        <Button type="submit" variant="primary" disabled={invite.isPending}>
          {invite.isPending ? 'Sending…' : 'Send invitation'}
        </Button>
      </div>
    </Form>
  );
}
