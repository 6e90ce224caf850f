/**
 * Generate cards into a deck: from a document (one card per fact of its knowledge graph, e.g.
 * "Marie Curie discovered ___" → "polonium") or from a conversation (each question asked and the
 * answer given). Generating again adds only the cards not made before.
 */
import { type FormEvent, useState } from 'react';

import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { useToast } from '../../../components/ui/toast';
import { ApiError } from '../../../lib/api-client';
import { useCollections } from '../../../lib/api/get-collections';
import { useGenerateCards } from '../api/generate-cards';
import { useCollectionDocuments } from '../api/get-collection-documents';
import { useConversationChoices } from '../api/get-conversation-choices';

type Source = 'document' | 'conversation';

export function GenerateCardsForm({ deckId }: { deckId: number }) {
  const generate = useGenerateCards(deckId);
  const toast = useToast();
  const [source, setSource] = useState<Source>('document');
  const [collectionId, setCollectionId] = useState('');
  const [documentId, setDocumentId] = useState('');
  const [conversationId, setConversationId] = useState('');
  const collections = useCollections();
  const documents = useCollectionDocuments(collectionId === '' ? null : Number(collectionId));
  const conversations = useConversationChoices();
  const chosen = source === 'document' ? documentId : conversationId;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (chosen === '') return;
    generate.mutate(
      source === 'document'
        ? { document_id: Number(documentId) }
        : { conversation_id: Number(conversationId) },
      {
        onSuccess: (result) =>
          toast.add({
            title:
              result.created === 0
                ? 'No new cards'
                : `${result.created} ${result.created === 1 ? 'card' : 'cards'} added`,
            description:
              result.created === 0
                ? 'Every fact there already has its card, or there is nothing to make one from.'
                : undefined,
          }),
      },
    );
  }

  return (
    <section className={card.card} aria-labelledby="generate-title">
      <h2 id="generate-title">Generate cards</h2>
      <form onSubmit={submit} aria-labelledby="generate-title" className={stack.stack}>
        <SelectField
          name="source"
          label="From"
          value={source}
          onValueChange={(value) =>
            setSource(value === 'conversation' ? 'conversation' : 'document')
          }
          options={[
            { value: 'document', label: 'A document’s facts' },
            { value: 'conversation', label: 'A conversation’s answers' },
          ]}
        />
        {source === 'document' ? (
          <>
            <SelectField
              name="collection"
              label="Collection"
              value={collectionId}
              onValueChange={(value) => {
                setCollectionId(value);
                setDocumentId('');
              }}
              options={[
                { value: '', label: 'Choose a collection' },
                ...(collections.data?.results ?? []).map((item) => ({
                  value: String(item.id),
                  label: item.name,
                })),
              ]}
            />
            <SelectField
              name="document_id"
              label="Document"
              value={documentId}
              onValueChange={setDocumentId}
              disabled={collectionId === ''}
              options={[
                { value: '', label: 'Choose a document' },
                ...(documents.data ?? []).map((item) => ({
                  value: String(item.id),
                  label: item.name,
                })),
              ]}
            />
          </>
        ) : (
          <SelectField
            name="conversation_id"
            label="Conversation"
            value={conversationId}
            onValueChange={setConversationId}
            options={[
              { value: '', label: 'Choose a conversation' },
              ...(conversations.data ?? []).map((item) => ({
                value: String(item.id),
                label: item.title || `Conversation ${item.id}`,
              })),
            ]}
          />
        )}
        <p className={muted.small}>Generating again adds only the cards not made before.</p>
        {generate.error && (
          <FormError>
            {(generate.error instanceof ApiError &&
              (generate.error.fieldMessage('document_id') ??
                generate.error.fieldMessage('conversation_id'))) ||
              generate.error.message}
          </FormError>
        )}
        <Button type="submit" variant="primary" disabled={chosen === '' || generate.isPending}>
          {generate.isPending ? 'Generating…' : 'Generate cards'}
        </Button>
      </form>
    </section>
  );
}
