/**
 * The start of a conversation: pick a ready model (production first) or a model of one of your
 * remote endpoints, and write the first message. Sending creates the conversation, hands the message to the server, and opens it;
 * the reply streams in there.
 */
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';

import { EmptyState } from '../../../components/empty-state';
import muted from '../../../components/muted.module.css';
import { FormError } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { useReadyModelVersions } from '../../../lib/api/get-all-model-versions';
import { useEndpoints } from '../../../lib/api/get-endpoints';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { parseModelChoice, remoteModelOptions } from '../../../lib/model-choice';
import { useCreateConversation } from '../api/create-conversation';
import { sendMessage } from '../api/send-message';
import styles from './chat.module.css';
import { Composer } from './composer';
import { PersonalityPicker } from './personality-picker';

/** Production beats staging beats the rest; among equals, the newest. */
export function defaultVersion(versions: readonly ModelVersion[]): ModelVersion | null {
  const rank = { production: 0, staging: 1, development: 2, archived: 3 } as const;
  return (
    [...versions].sort(
      (a, b) => rank[a.stage] - rank[b.stage] || b.created_at.localeCompare(a.created_at),
    )[0] ?? null
  );
}

export function NewConversation() {
  const versions = useReadyModelVersions();
  const endpoints = useEndpoints();
  const remoteOptions = remoteModelOptions(endpoints.data?.results);
  const create = useCreateConversation();
  const navigate = useNavigate();
  const [chosen, setChosen] = useState<string | null>(null);
  const [personality, setPersonality] = useState('');
  const [error, setError] = useState<string | null>(null);
  const fallback = defaultVersion(versions.versions);
  const modelVersionId =
    chosen ?? (fallback ? String(fallback.id) : (remoteOptions[0]?.value ?? ''));

  if (versions.isPending) {
    return (
      <p role="status" className={muted.small}>
        Loading models…
      </p>
    );
  }
  if (versions.versions.length === 0 && remoteOptions.length === 0) {
    return (
      <EmptyState
        title="No model ready to chat with"
        description={
          versions.error ? (
            `Could not load your models. ${versions.error.message}`
          ) : (
            <>
              Add the starter model on the <Link to="/models">Models page</Link> (one click), or
              register a trained one. It is ready to chat once it has been imported. Or add a remote
              server on the <Link to="/endpoints">Endpoints page</Link>.
            </>
          )
        }
        data-testid="chat-no-models"
      />
    );
  }

  async function start(content: string): Promise<boolean> {
    setError(null);
    try {
      const choice = parseModelChoice(modelVersionId);
      const conversation = await create.mutateAsync({
        ...(choice.kind === 'remote'
          ? { remote_endpoint_id: choice.endpointId, remote_model: choice.model }
          : { model_version_id: choice.id }),
        personality_id: personality === '' ? null : Number(personality),
      });
      await sendMessage(conversation.id, content);
      void navigate(`/chat/${conversation.id}`);
      return true;
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      return false;
    }
  }

  return (
    <section className={styles.newConversation} aria-labelledby="new-chat-title">
      <h2 id="new-chat-title">New conversation</h2>
      <div className={styles.newOptions}>
        <SelectField
          name="model_version_id"
          label="Model"
          value={modelVersionId}
          onValueChange={setChosen}
          options={[
            ...versions.versions.map((version) => ({
              value: String(version.id),
              label: `${version.model_name} ${version.version}${version.stage === 'production' ? ' (production)' : ''}`,
            })),
            ...remoteOptions,
          ]}
        />
        <PersonalityPicker value={personality} onValueChange={setPersonality} />
      </div>
      {error && <FormError>{error}</FormError>}
      <Composer generating={false} placeholder="Ask anything…" onSend={start} />
    </section>
  );
}
