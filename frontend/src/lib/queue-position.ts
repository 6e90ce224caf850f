/** Why a queued run waits, from the number of runs the `train` queue serves before it. */
export function queuePositionText(runsAhead: number | null | undefined): string {
  if (runsAhead === null || runsAhead === undefined) return 'Queued';
  if (runsAhead === 0) return 'Queued — next in line';
  const runs = runsAhead === 1 ? '1 run' : `${runsAhead.toLocaleString()} runs`;
  return `Queued — ${runs} ahead of yours`;
}
