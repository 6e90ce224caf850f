/**
 * The arena leaderboard: each of your model versions that took part in a voted comparison, with
 * its rating, 95% interval and record, best first; and exporting the votes as preference pairs.
 * Comparisons are made in a conversation's Compare mode.
 */
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { useToast } from '../../../components/ui/toast';
import { useExportVotes } from '../api/export-votes';
import { useLeaderboard } from '../api/get-leaderboard';

const round = (value: number) => Math.round(value).toString();

export function ArenaPage() {
  const leaderboard = useLeaderboard();
  const exportVotes = useExportVotes();
  const toast = useToast();
  const rows = leaderboard.data ?? [];

  return (
    <Page
      title="Arena"
      lead={
        <>
          Your model versions rated from your votes in <Link to="/chat">Chat</Link>'s Compare mode
          (Bradley-Terry; 1000 is even; ties and both-bad votes count half a win each).
        </>
      }
      actions={
        <Button
          disabled={exportVotes.isPending}
          onClick={() =>
            exportVotes.mutate(undefined, {
              onSuccess: (result) =>
                toast.add({
                  title: `Exported ${result.pairs} ${result.pairs === 1 ? 'pair' : 'pairs'}`,
                  description: `Your votes are now dataset version ${result.dataset_version_id} on the Datasets page.`,
                }),
              onError: (error) =>
                toast.add({ title: 'Could not export votes', description: error.message }),
            })
          }
        >
          Export votes as preferences
        </Button>
      }
    >
      <QueryState
        query={leaderboard}
        loading="Loading the leaderboard…"
        failure="Could not load the leaderboard."
        isEmpty={rows.length === 0}
        empty={
          <p className={muted.text}>
            No votes yet: open a conversation, press Compare, and vote on two answers.
          </p>
        }
      >
        <div className={table.wrap}>
          <table className={table.table}>
            <thead>
              <tr>
                <th scope="col">Rank</th>
                <th scope="col">Model version</th>
                <th scope="col">Rating</th>
                <th scope="col">95% interval</th>
                <th scope="col">Battles</th>
                <th scope="col">Won · lost · tied</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, index) => (
                <tr key={row.model_version_id}>
                  <td>{index + 1}</td>
                  <th scope="row">{row.model_name}</th>
                  <td>{round(row.rating)}</td>
                  <td>
                    {round(row.ci_low)} – {round(row.ci_high)}
                  </td>
                  <td>{row.battles}</td>
                  <td>
                    {row.wins} · {row.losses} · {row.ties}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </QueryState>
    </Page>
  );
}
