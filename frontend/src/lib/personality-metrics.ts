/**
 * How the personality metrics (ml/personality/metrics.py) read to a person, wherever they are
 * shown: a personality's targets and scores, and a chat reply's alignment. A name the server
 * adds later still shows, as its key.
 */

const METRIC_LABELS: Record<string, string> = {
  vader_compound: 'Sentiment (VADER)',
  vader_pos: 'Positive share (VADER)',
  vader_neg: 'Negative share (VADER)',
  vader_neu: 'Neutral share (VADER)',
  lm_positive: 'Positive words',
  lm_negative: 'Negative words',
  lm_uncertainty: 'Uncertainty words',
  lm_litigious: 'Litigious words',
  lm_constraining: 'Constraining words',
  flesch_reading_ease: 'Reading ease (Flesch)',
  flesch_kincaid_grade: 'School grade (Flesch-Kincaid)',
  formality: 'Formality',
  emoji_density: 'Emoji per word',
  words: 'Words',
  question_rate: 'Questions per sentence',
  exclamation_rate: 'Exclamations per sentence',
  first_person_rate: 'First person per word',
  second_person_rate: 'Second person per word',
};

export function metricLabel(name: string): string {
  return METRIC_LABELS[name] ?? name;
}
