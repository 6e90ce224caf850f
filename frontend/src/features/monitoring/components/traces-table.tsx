/** A version's recent generations, newest first, each opening its trace. */
import { Link } from 'react-router';

import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { useTraces } from '../api/get-traces';
import { formatMs } from './trace-timeline';

export function TracesTable({ versionId }: { versionId: number }) {
  const traces = useTraces({ modelVersion: versionId });
  return (
    <QueryState
      query={traces}
      loading="Loading recent requests…"
      failure="Could not load the recent requests."
      isEmpty={traces.data?.results.length === 0}
      empty={<p>No requests yet.</p>}
    >
      <div className={table.wrap}>
        <table className={table.table}>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">From</th>
              <th scope="col">Status</th>
              <th scope="col">First token</th>
              <th scope="col">Total</th>
              <th scope="col">Tokens</th>
            </tr>
          </thead>
          <tbody>
            {traces.data?.results.map((trace) => (
              <tr key={trace.id}>
                <td>
                  <Link to={`/monitoring/traces/${trace.id}`}>
                    {trace.received_at
                      ? new Date(trace.received_at).toLocaleString()
                      : `#${trace.id}`}
                  </Link>
                </td>
                <td>{trace.source}</td>
                <td>{trace.error_code ? `${trace.status} (${trace.error_code})` : trace.status}</td>
                <td>{formatMs(trace.ttft_ms)}</td>
                <td>{formatMs(trace.total_ms)}</td>
                <td>{trace.completion_tokens ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </QueryState>
  );
}
