/**
 * The conversation's settings beside the chat: model version and export type, personality
 * (a built-in or one of the user's own; it is sent only when changed or moved on a version),
 * system prompt, sampling (blank keeps the personality's or the model file's default), the
 * document collections to answer from and how passages are found in them (hybrid search, the
 * collections' knowledge graph, or both), and today's token quota. Saved together with one button.
 * Max tokens is capped by the chosen model's context, which must keep room for the prompt.
 */
import { type FormEvent, useState } from 'react';

import card from '../../../components/card.module.css';
import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { useToast } from '../../../components/ui/toast';
import { ApiError } from '../../../lib/api-client';
import { formatDateTime } from '../../../lib/format';
import { useCollections } from '../../../lib/api/get-collections';
import { useReadyModelVersions } from '../../../lib/api/get-all-model-versions';
import { useEndpoints } from '../../../lib/api/get-endpoints';
import { parseModelChoice, remoteChoiceValue, remoteModelOptions } from '../../../lib/model-choice';
import type { ConversationDetail } from '../api/get-conversation';
import { useQuota } from '../api/get-quota';
import { useUpdateConversation } from '../api/update-conversation';
import styles from './chat.module.css';
import { PersonalityPicker } from './personality-picker';

const SAMPLING = [
  { key: 'temperature', label: 'Temperature', step: '0.05', min: 0, max: 2 },
  { key: 'top_p', label: 'Top p', step: '0.01', min: 0.01, max: 1 },
  { key: 'top_k', label: 'Top k', step: '1', min: 0, max: 1000 },
  { key: 'max_tokens', label: 'Max tokens', step: '1', min: 1, max: 32768 },
  { key: 'seed', label: 'Seed', step: '1', min: 0, max: undefined },
] as const;

type SamplingKey = (typeof SAMPLING)[number]['key'];

const RETRIEVAL_MODES = [
  { value: 'hybrid', label: 'Search' },
  { value: 'graph', label: 'Knowledge graph' },
  { value: 'hybrid+graph', label: 'Search and graph' },
] as const;

type RetrievalMode = (typeof RETRIEVAL_MODES)[number]['value'];

function retrievalMode(value: string): RetrievalMode {
  return RETRIEVAL_MODES.find((mode) => mode.value === value)?.value ?? 'hybrid';
}

/** The model's context in tokens, from its imported architecture; null when unknown. */
function contextLength(architecture: unknown): number | null {
  if (typeof architecture !== 'object' || architecture === null) return null;
  const size = (architecture as { block_size?: unknown }).block_size;
  return typeof size === 'number' && size > 1 ? size : null;
}

function numberOrNull(text: string): number | null {
  if (text.trim() === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

export function SettingsPanel({ conversation }: { conversation: ConversationDetail }) {
  const versions = useReadyModelVersions();
  const collections = useCollections();
  const quota = useQuota();
  const update = useUpdateConversation();
  const toast = useToast();
  const endpoints = useEndpoints();
  const [modelVersionId, setModelVersionId] = useState(
    conversation.remote_endpoint_id
      ? remoteChoiceValue(conversation.remote_endpoint_id, conversation.remote_model)
      : conversation.model_version_id === null
        ? ''
        : String(conversation.model_version_id),
  );
  const choice = modelVersionId ? parseModelChoice(modelVersionId) : null;
  const [qtype, setQtype] = useState(conversation.qtype);
  const savedPersonality = conversation.personality;
  const [personality, setPersonality] = useState(
    savedPersonality === null ? '' : String(savedPersonality.id),
  );
  // Sending the same personality again moves the conversation to its newest version.
  const personalityChanged =
    personality !== (savedPersonality === null ? '' : String(savedPersonality.id)) ||
    (savedPersonality?.outdated ?? false);
  const [systemPrompt, setSystemPrompt] = useState(conversation.system_prompt);
  const [sampling, setSampling] = useState<Record<SamplingKey, string>>(() => ({
    temperature: conversation.temperature?.toString() ?? '',
    top_p: conversation.top_p?.toString() ?? '',
    top_k: conversation.top_k?.toString() ?? '',
    max_tokens: conversation.max_tokens?.toString() ?? '',
    seed: conversation.seed?.toString() ?? '',
  }));
  const [collectionIds, setCollectionIds] = useState<number[]>(conversation.collection_ids);
  const [mode, setMode] = useState<RetrievalMode>(retrievalMode(conversation.retrieval_mode));

  const selectedVersion = versions.versions.find(
    (version) => String(version.id) === modelVersionId,
  );
  const readyExports = (selectedVersion?.exports ?? []).filter((item) => item.status === 'ready');
  const context = contextLength(selectedVersion?.architecture);
  // The server refuses a reply length that leaves the prompt no room.
  const maxFor = (key: SamplingKey, max: number | undefined) =>
    key === 'max_tokens' && context !== null ? Math.min(context - 1, max ?? context) : max;
  const fieldErrors = update.error instanceof ApiError ? update.error.fields : {};

  function save(event: FormEvent) {
    event.preventDefault();
    update.mutate(
      {
        id: conversation.id,
        input: {
          ...(choice?.kind === 'remote'
            ? { remote_endpoint_id: choice.endpointId, remote_model: choice.model }
            : { ...(choice ? { model_version_id: choice.id } : {}), qtype }),
          ...(personalityChanged
            ? { personality_id: personality === '' ? null : Number(personality) }
            : {}),
          system_prompt: systemPrompt,
          temperature: numberOrNull(sampling.temperature),
          top_p: numberOrNull(sampling.top_p),
          top_k: numberOrNull(sampling.top_k),
          max_tokens: numberOrNull(sampling.max_tokens),
          seed: numberOrNull(sampling.seed),
          collection_ids: collectionIds,
          retrieval_mode: mode,
        },
      },
      {
        onSuccess: () =>
          toast.add({ title: 'Settings saved', description: 'They apply from the next reply.' }),
      },
    );
  }

  const fieldError = (name: string) =>
    fieldErrors[name]?.[0] && <span className={styles.fieldError}>{fieldErrors[name][0]}</span>;

  return (
    <form
      className={`${card.card} ${card.loose}`}
      onSubmit={save}
      aria-label="Conversation settings"
    >
      <h2 className={styles.settingsTitle}>Settings</h2>
      <SelectField
        name="model_version_id"
        label="Model"
        value={modelVersionId}
        onValueChange={(value) => {
          setModelVersionId(value);
          setQtype('');
        }}
        options={[
          ...(modelVersionId === '' ? [{ value: '', label: 'Choose a model' }] : []),
          ...versions.versions.map((version) => ({
            value: String(version.id),
            label: `${version.model_name} ${version.version}${version.stage === 'production' ? ' (production)' : ''}`,
          })),
          ...remoteModelOptions(endpoints.data?.results),
        ]}
      />
      {fieldError('model_version_id')}
      {fieldError('remote_model')}
      {choice?.kind !== 'remote' && (
        <SelectField
          name="qtype"
          label="Export type"
          value={qtype}
          onValueChange={setQtype}
          description="Automatic picks the fastest ready export."
          options={[
            { value: '', label: 'Automatic' },
            ...readyExports.map((item) => ({ value: item.qtype, label: item.qtype })),
          ]}
        />
      )}
      <PersonalityPicker
        value={personality}
        onValueChange={setPersonality}
        current={savedPersonality}
      />
      {fieldError('personality_id')}
      <label className={`${field.field} ${field.small}`}>
        <span className={field.label}>System prompt</span>
        <textarea
          className={styles.textarea}
          rows={4}
          value={systemPrompt}
          placeholder="Instructions the model sees before every turn"
          onChange={(event) => setSystemPrompt(event.target.value)}
        />
      </label>
      <fieldset className={stack.fieldset}>
        <legend className={field.label}>Sampling</legend>
        <p className={muted.small}>
          Blank keeps the default
          {context !== null &&
            `. This model's context holds ${context.toLocaleString()} tokens for prompt and reply; a default reply length shrinks to fit`}
          .
        </p>
        <div className={styles.samplingGrid}>
          {SAMPLING.map(({ key, label, step, min, max }) => (
            <label key={key} className={`${field.field} ${field.small}`}>
              <span>{label}</span>
              <input
                className={styles.numberInput}
                type="number"
                name={key}
                inputMode="decimal"
                step={step}
                min={min}
                max={maxFor(key, max)}
                value={sampling[key]}
                onChange={(event) => setSampling({ ...sampling, [key]: event.target.value })}
              />
              {fieldError(key)}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset className={stack.fieldset}>
        <legend className={field.label}>Documents</legend>
        {collections.isPending ? (
          <p className={muted.small}>Loading collections…</p>
        ) : (collections.data?.results.length ?? 0) === 0 ? (
          <p className={muted.small}>
            No collections yet. Upload documents on the Documents page to answer from them.
          </p>
        ) : (
          collections.data?.results.map((collection) => (
            <label key={collection.id} className={styles.checkbox}>
              <input
                type="checkbox"
                checked={collectionIds.includes(collection.id)}
                onChange={(event) =>
                  setCollectionIds(
                    event.target.checked
                      ? [...collectionIds, collection.id]
                      : collectionIds.filter((id) => id !== collection.id),
                  )
                }
              />
              <span>
                {collection.name}{' '}
                <span className={muted.small}>({collection.document_count} documents)</span>
              </span>
            </label>
          ))
        )}
        <SelectField
          name="retrieval_mode"
          label="Find passages by"
          value={mode}
          onValueChange={(value) => setMode(retrievalMode(value))}
          description="Search matches words and meaning; the knowledge graph follows facts across documents, for questions that join two of them."
          options={RETRIEVAL_MODES}
        />
        {fieldError('retrieval_mode')}
      </fieldset>
      {update.error && Object.keys(fieldErrors).length === 0 && (
        <FormError>{update.error.message}</FormError>
      )}
      <Button type="submit" variant="primary" disabled={update.isPending}>
        {update.isPending ? 'Saving…' : 'Save settings'}
      </Button>
      {quota.data && (
        <p className={muted.small} data-testid="quota">
          Today: {quota.data.tokens_used_today.toLocaleString()} of{' '}
          {quota.data.tokens_per_day?.toLocaleString() ?? 'unlimited'} tokens. Resets{' '}
          <time dateTime={quota.data.resets_at}>{formatDateTime(quota.data.resets_at)}</time>.
        </p>
      )}
    </form>
  );
}
