/**
 * How a conversation's replies measure against its personality, for the per-reply alignment
 * and the trend chart: which replies count as finished (the trend's cache key), the metrics'
 * rows, and the chart's points.
 */
import type { ChartData } from '../../../components/ui/line-chart';
import { metricLabel } from '../../../lib/personality-metrics';
import type { PersonalityTrend, ReplyScore } from '../api/get-personality-trend';
import type { ChatMessage } from './chat-stream';

/** The ids of replies the server scores (finished, with text); changes when one finishes. */
export function finishedRepliesKey(messages: readonly ChatMessage[]): string {
  return messages
    .filter(
      (message) =>
        message.role === 'assistant' &&
        (message.status === 'done' || message.status === 'stopped') &&
        message.content !== '',
    )
    .map((message) => message.id)
    .join(',');
}

/** [label, value] per metric, in the server's order; unknown metrics keep their own name. */
export function metricRows(metrics: ReplyScore['metrics']): [string, string][] {
  return Object.entries(metrics).map(([name, value]) => [
    metricLabel(name),
    Number.isInteger(value) ? String(value) : value.toFixed(3),
  ]);
}

/** x = the reply's number in the conversation, then alignment and VADER sentiment. */
export function trendChartData(trend: PersonalityTrend): ChartData {
  return [
    trend.texts.map((_, index) => index + 1),
    trend.texts.map((text) => text.alignment),
    trend.texts.map((text) => text.metrics.vader_compound ?? null),
  ];
}
