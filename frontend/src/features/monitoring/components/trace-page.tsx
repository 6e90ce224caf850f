/**
 * One generation's trace (`/monitoring/traces/:traceId`, or `/monitoring/traces?message=ID`
 * from a chat reply): what it was, and the timeline of its hops.
 */
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import stack from '../../../components/stack.module.css';
import terms from '../../../components/term-list.module.css';
import { useTrace } from '../api/get-trace';
import { useTraces } from '../api/get-traces';
import { formatMs, TraceTimeline } from './trace-timeline';

function TraceDetail({ traceId }: { traceId: number }) {
  const trace = useTrace(traceId);
  return (
    <QueryState query={trace} loading="Loading the trace…" failure="Could not load the trace.">
      {trace.data && (
        <div className={stack.stack}>
          <dl className={terms.list}>
            <div>
              <dt>From</dt>
              <dd>{trace.data.source}</dd>
            </div>
            <div>
              <dt>Status</dt>
              <dd>
                {trace.data.status}
                {trace.data.error_code && ` (${trace.data.error_code})`}
              </dd>
            </div>
            <div>
              <dt>Total</dt>
              <dd>{formatMs(trace.data.total_ms)}</dd>
            </div>
            <div>
              <dt>Tokens</dt>
              <dd>
                {trace.data.prompt_tokens ?? '–'} in, {trace.data.completion_tokens ?? '–'} out
              </dd>
            </div>
          </dl>
          <TraceTimeline trace={trace.data} />
        </div>
      )}
    </QueryState>
  );
}

function MessageTrace({ messageId }: { messageId: number }) {
  const traces = useTraces({ message: messageId });
  const found = traces.data?.results[0];
  return (
    <QueryState
      query={traces}
      loading="Finding the reply's trace…"
      failure="Could not find the reply's trace."
      isEmpty={found === undefined}
      empty={<p>This reply has no trace (it was written before monitoring began).</p>}
    >
      {found && <TraceDetail traceId={found.id} />}
    </QueryState>
  );
}

export function TracePage({ traceId, messageId }: { traceId?: number; messageId?: number }) {
  return (
    <Page
      title="Trace"
      lead="Where the time of one request went, from the web to the model and back."
    >
      {traceId !== undefined && <TraceDetail traceId={traceId} />}
      {traceId === undefined && messageId !== undefined && <MessageTrace messageId={messageId} />}
    </Page>
  );
}
