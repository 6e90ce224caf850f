/**
 * Settings -> Account: the user's Hugging Face access token, for pulling gated repos. Once
 * saved it is never shown again, only its last characters; it can be replaced or removed.
 */
import { useState } from 'react';

import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { ApiError } from '../../../lib/api-client';
import { useDeleteHubToken, useHubToken, useSetHubToken } from '../api/hub-token';

export function HubTokenPanel() {
  const state = useHubToken();
  const save = useSetHubToken();
  const remove = useDeleteHubToken();
  const [token, setToken] = useState('');
  const failure = save.error ?? remove.error;

  return (
    <section className={stack.stack} aria-labelledby="hub-token-title">
      <h2 id="hub-token-title">Hugging Face access token</h2>
      <p className={muted.text}>
        Needed to pull gated or private repos. Stored encrypted; only its last characters are shown.
      </p>
      {state.isPending ? (
        <p role="status">Loading…</p>
      ) : state.isError ? (
        <p role="alert">Could not load your hub token. {state.error.message}</p>
      ) : (
        <p data-testid="hub-token-state">
          {state.data.has_token ? `Saved token: ${state.data.hint}` : 'No token saved.'}
        </p>
      )}
      <form
        className={stack.stack}
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate(token.trim(), { onSuccess: () => setToken('') });
        }}
      >
        <label className={field.field}>
          <span className={field.label}>{state.data?.has_token ? 'Replace token' : 'Token'}</span>
          <input
            className={field.input}
            type="password"
            value={token}
            onChange={(event) => setToken(event.target.value)}
            placeholder="hf_…"
            autoComplete="off"
          />
        </label>
        {failure && (
          <FormError>
            {failure instanceof ApiError
              ? (failure.fieldMessage('token') ?? failure.message)
              : failure.message}
          </FormError>
        )}
        <div>
          <Button type="submit" variant="primary" disabled={token.trim() === '' || save.isPending}>
            Save token
          </Button>{' '}
          {state.data?.has_token && (
            <Button variant="ghost" disabled={remove.isPending} onClick={() => remove.mutate()}>
              Remove token
            </Button>
          )}
        </div>
      </form>
    </section>
  );
}
