/** One generation's trace: `/monitoring/traces/:traceId`, or `/monitoring/traces?message=ID`
 * (a chat reply's). */
import { useParams, useSearchParams } from 'react-router';

import { TracePage } from '../../features/monitoring/components/trace-page';
import { NotFoundRoute } from './not-found';

function positive(value: string | null | undefined): number | undefined {
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? number : undefined;
}

export function TraceRoute() {
  const traceId = positive(useParams().traceId);
  const messageId = positive(useSearchParams()[0].get('message'));
  if (traceId === undefined && messageId === undefined) return <NotFoundRoute />;
  return <TracePage key={`${traceId}:${messageId}`} traceId={traceId} messageId={messageId} />;
}
