/**
 * The conversation's personality trend beside the chat: each finished reply's alignment with
 * the personality (and its VADER sentiment) in order, measured when the user asks for it.
 */
import { useState } from 'react';

import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import { Button } from '../../../components/ui/button';
import { CHART_COLORS, LineChart } from '../../../components/ui/line-chart';
import { formatScore } from '../../../lib/format';
import { usePersonalityTrend } from '../api/get-personality-trend';
import { trendChartData } from '../utils/alignment';
import type { ConversationPersonality } from '../utils/personality-options';
import styles from './chat.module.css';

const SERIES = [
  { label: 'Alignment', color: CHART_COLORS[0] },
  { label: 'Sentiment (VADER)', color: CHART_COLORS[1], dashed: true },
] as const;

interface PersonalityTrendProps {
  conversationId: number;
  personality: ConversationPersonality | null;
  /** `finishedRepliesKey` of the conversation's messages. */
  repliesKey: string;
}

export function PersonalityTrend({
  conversationId,
  personality,
  repliesKey,
}: PersonalityTrendProps) {
  const [shown, setShown] = useState(false);
  const trend = usePersonalityTrend(
    conversationId,
    personality?.version_id ?? 0,
    repliesKey,
    shown && personality !== null && repliesKey !== '',
  );

  return (
    <section
      className={`${card.card} ${card.loose}`}
      aria-labelledby="personality-trend-title"
      data-testid="personality-trend"
    >
      <h2 id="personality-trend-title" className={styles.settingsTitle}>
        Personality trend
      </h2>
      {personality === null ? (
        <p className={muted.small}>
          Choose a personality in the settings to measure the replies against it.
        </p>
      ) : repliesKey === '' ? (
        <p className={muted.small}>No finished replies to measure yet.</p>
      ) : !shown ? (
        <Button size="small" onClick={() => setShown(true)}>
          Measure the replies
        </Button>
      ) : (
        <QueryState
          query={trend}
          loading="Measuring the replies…"
          failure="Could not measure the replies."
          statusClassName={muted.small}
        >
          {trend.data && (
            <>
              <p className={muted.small} data-testid="personality-trend-summary">
                Mean alignment with {personality.name}{' '}
                <strong>{formatScore(trend.data.alignment.mean ?? 0, 2)}</strong> ±{' '}
                {formatScore(trend.data.alignment.std ?? 0, 2)} over {trend.data.texts.length}{' '}
                {trend.data.texts.length === 1 ? 'reply' : 'replies'}.
              </p>
              <LineChart
                title="Alignment per reply"
                series={SERIES}
                data={trendChartData(trend.data)}
                xLabel="reply"
                height={160}
              />
            </>
          )}
        </QueryState>
      )}
    </section>
  );
}
