/**
 * Add a card by hand: basic (front and back) or cloze (text with `{{c1::deletions}}`, and an
 * optional extra shown with the answer). Server messages appear under their fields.
 */
import { type FormEvent, useState } from 'react';

import card from '../../../components/card.module.css';
import { Button } from '../../../components/ui/button';
import { Form, FormError } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { TextAreaField } from '../../../components/ui/text-area-field';
import { ApiError } from '../../../lib/api-client';
import { useCreateCard } from '../api/create-card';

export function AddCardForm({ deckId }: { deckId: number }) {
  const create = useCreateCard(deckId);
  const [kind, setKind] = useState<'basic' | 'cloze'>('basic');
  const [front, setFront] = useState('');
  const [back, setBack] = useState('');
  const errors = create.error instanceof ApiError ? create.error.fields : undefined;

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { kind, front, back },
      {
        onSuccess: () => {
          setFront('');
          setBack('');
        },
      },
    );
  }

  return (
    <section className={card.card} aria-labelledby="add-card-title">
      <h2 id="add-card-title">Add a card</h2>
      <Form errors={errors} onSubmit={submit} aria-labelledby="add-card-title">
        <SelectField
          name="kind"
          label="Kind"
          value={kind}
          onValueChange={(value) => setKind(value === 'cloze' ? 'cloze' : 'basic')}
          options={[
            { value: 'basic', label: 'Basic (front and back)' },
            { value: 'cloze', label: 'Cloze ({{c1::hidden}} text)' },
          ]}
        />
        <TextAreaField
          name="front"
          label={kind === 'cloze' ? 'Text' : 'Front'}
          value={front}
          onValueChange={setFront}
          rows={3}
          required
          description={
            kind === 'cloze' ? 'Wrap what to hide in {{c1::…}}, e.g. {{c1::Paris}}.' : undefined
          }
        />
        <TextAreaField
          name="back"
          label={kind === 'cloze' ? 'Extra (optional)' : 'Back'}
          value={back}
          onValueChange={setBack}
          rows={3}
          required={kind === 'basic'}
        />
        {create.error && !errors?.front && !errors?.back && (
          <FormError>{create.error.message}</FormError>
        )}
        <Button type="submit" variant="primary" disabled={create.isPending}>
          {create.isPending ? 'Adding…' : 'Add card'}
        </Button>
      </Form>
    </section>
  );
}
