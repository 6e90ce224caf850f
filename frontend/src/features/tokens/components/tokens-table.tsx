/** The list of a user's tokens: what identifies each one and when it was last used. */
import muted from '../../../components/muted.module.css';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { formatDateTime } from '../../../lib/format';
import type { ApiToken } from '../api/get-tokens';
import styles from './tokens.module.css';

function DateCell({ iso, fallback }: { iso: string | null; fallback: string }) {
  if (iso === null) return <span className={muted.text}>{fallback}</span>;
  return <time dateTime={iso}>{formatDateTime(iso)}</time>;
}

interface TokensTableProps {
  tokens: readonly ApiToken[];
  onRevoke: (token: ApiToken) => void;
}

export function TokensTable({ tokens, onRevoke }: TokensTableProps) {
  return (
    <div className={table.wrap}>
      <table className={`${table.table} ${table.roomy}`}>
        <caption className="visually-hidden">Your API tokens</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id} data-testid="token-row">
              <th scope="row" className={styles.name}>
                {token.name}
              </th>
              <td>
                <code>{token.prefix}…</code>
              </td>
              <td>
                <DateCell iso={token.created_at} fallback="" />
              </td>
              <td>
                <DateCell iso={token.last_used_at} fallback="never" />
              </td>
              <td>
                <DateCell iso={token.expires_at} fallback="never" />
              </td>
              <td className={table.actions}>
                <Button
                  size="small"
                  variant="ghost"
                  aria-label={`Revoke ${token.name}`}
                  onClick={() => onRevoke(token)}
                >
                  Revoke
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
