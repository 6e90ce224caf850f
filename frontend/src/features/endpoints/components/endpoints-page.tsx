/**
 * The Endpoints page (`/endpoints`): the user's remote OpenAI-compatible servers, each with its
 * base URL, key hint, the models it listed (by the name chat, the arena and /v1 use), why the
 * last refresh failed if it did, and Refresh and Delete (after asking); "Add endpoint"
 * registers another.
 */
import { useState } from 'react';

import { EmptyState } from '../../../components/empty-state';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { type RemoteEndpoint, useEndpoints } from '../../../lib/api/get-endpoints';
import { formatDateTime } from '../../../lib/format';
import { useRefreshEndpoint } from '../api/refresh-endpoint';
import { AddEndpointDialog } from './add-endpoint-dialog';
import { DeleteEndpointDialog } from './delete-endpoint-dialog';
import styles from './endpoints.module.css';

export function EndpointsPage() {
  const endpoints = useEndpoints();
  const [adding, setAdding] = useState(false);
  // The dialog keeps showing its endpoint while it animates closed.
  const [deleting, setDeleting] = useState<{ subject: RemoteEndpoint | null; open: boolean }>({
    subject: null,
    open: false,
  });
  const list = endpoints.data?.results ?? [];

  return (
    <Page
      title="Endpoints"
      lead="Remote OpenAI-compatible servers whose models you can chat with, compare in the arena, call through /v1 and use as a distillation teacher."
      actions={
        <Button variant="primary" onClick={() => setAdding(true)}>
          Add endpoint
        </Button>
      }
    >
      <QueryState
        query={endpoints}
        loading="Loading endpoints…"
        failure="Could not load your endpoints."
        isEmpty={list.length === 0}
        empty={
          <EmptyState
            title="No endpoints yet"
            description="Add an OpenAI-compatible server by its base URL and key; its models are listed here once it answers."
            data-testid="endpoints-empty"
          />
        }
      >
        <div className={table.wrap}>
          <table className={`${table.table} ${table.roomy} ${table.top}`}>
            <caption className="visually-hidden">Your endpoints</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Base URL</th>
                <th scope="col">Key</th>
                <th scope="col">Models</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((endpoint) => (
                <EndpointRow
                  key={endpoint.id}
                  endpoint={endpoint}
                  onDelete={() => setDeleting({ subject: endpoint, open: true })}
                />
              ))}
            </tbody>
          </table>
        </div>
      </QueryState>
      <AddEndpointDialog open={adding} onOpenChange={setAdding} />
      <DeleteEndpointDialog
        endpoint={deleting.subject}
        open={deleting.open}
        onOpenChange={(open) => setDeleting((state) => ({ ...state, open }))}
      />
    </Page>
  );
}

function EndpointRow({ endpoint, onDelete }: { endpoint: RemoteEndpoint; onDelete: () => void }) {
  const refresh = useRefreshEndpoint();
  return (
    <tr data-testid="endpoint-row">
      <th scope="row">{endpoint.name}</th>
      <td className={styles.long}>
        <code>{endpoint.base_url}</code>
      </td>
      <td>{endpoint.api_key_hint || <span className={muted.text}>none</span>}</td>
      <td className={styles.long}>
        {endpoint.models.length === 0 ? (
          <span className={muted.text}>none listed</span>
        ) : (
          <ul className={styles.models} data-testid="endpoint-models">
            {endpoint.models.map((model) => (
              <li key={model.id}>
                <code>{model.id}</code>
              </li>
            ))}
          </ul>
        )}
        {endpoint.models_fetched_at && (
          <p className={muted.small}>Fetched {formatDateTime(endpoint.models_fetched_at)}</p>
        )}
        {endpoint.last_error && <FormError>Last refresh failed: {endpoint.last_error}</FormError>}
        {refresh.error && <FormError>{refresh.error.message}</FormError>}
      </td>
      <td className={table.actions}>
        <Button
          size="small"
          aria-label={`Refresh the models of ${endpoint.name}`}
          disabled={refresh.isPending}
          onClick={() => refresh.mutate(endpoint.id)}
        >
          {refresh.isPending ? 'Refreshing…' : 'Refresh'}
        </Button>
        <Button
          size="small"
          variant="ghost"
          aria-label={`Delete ${endpoint.name}`}
          onClick={onDelete}
        >
          Delete
        </Button>
      </td>
    </tr>
  );
}
