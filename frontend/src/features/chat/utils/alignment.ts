/**
 * How a conversation's replies measure against its personality, for the per-reply alignment
 * and the trend chart: which replies count as finished (the trend's cache key), labels for
 * the metrics, and the chart's points.
 */
import type { ChartData } from '../../../components/ui/line-chart';
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

const METRIC_LABELS: Record<string, string> = {
  vader_compound: 'Sentiment (VADER compound)',
  vader_pos: 'VADER positive',
  vader_neg: 'VADER negative',
  vader_neu: 'VADER neutral',
  lm_positive: 'Positive words (LM)',
  lm_negative: 'Negative words (LM)',
  lm_uncertainty: 'Uncertain words (LM)',
  lm_litigious: 'Litigious words (LM)',
  lm_constraining: 'Constraining words (LM)',
  flesch_reading_ease: 'Reading ease (Flesch)',
  flesch_kincaid_grade: 'Grade level (Flesch-Kincaid)',
  formality: 'Formality',
  emoji_density: 'Emoji per word',
  words: 'Words',
  question_rate: 'Questions per sentence',
  exclamation_rate: 'Exclamations per sentence',
  first_person_rate: 'First person per word',
  second_person_rate: 'Second person per word',
};

/** [label, value] per metric, in the server's order; unknown metrics keep their own name. */
export function metricRows(metrics: ReplyScore['metrics']): [string, string][] {
  return Object.entries(metrics).map(([name, value]) => [
    METRIC_LABELS[name] ?? name,
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
