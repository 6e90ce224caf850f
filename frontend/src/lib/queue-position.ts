/**
 * Why a queued run waits: the number of waiting runs the dispatcher starts before it (accounts
 * take turns for the training slots), or null once it was handed to a worker.
 */
export function queuePositionText(runsAhead: number | null | undefined): string {
  if (runsAhead === null || runsAhead === undefined) return 'Queued';
  if (runsAhead === 0) return 'Waiting for a slot (next in line)';
  return `Waiting for a slot (${runsAhead.toLocaleString()} ahead)`;
}
