import { useEffect, useState } from 'react';
import type { RunMeta } from '../app/persistence';
import { deleteStoredRun, listStoredRuns, restoreRun } from '../app/persistRun';
import { useRunStore } from '../store/runStore';

/** Runs kept in this browser (IndexedDB): restore (and resume) or delete; storage in use. */
export function RunsPanel() {
  const [runs, setRuns] = useState<RunMeta[]>([]);
  const [open, setOpen] = useState(false);
  const storageNote = useRunStore((s) => s.storageNote);
  const currentId = useRunStore((s) => s.runId);
  const epochsCount = useRunStore((s) => s.epochs.length);
  const saved = useRunStore((s) => s.saved);
  const mine = saved.runId === currentId;
  const savedEpoch = mine ? saved.epoch : -1;
  const writing = mine ? saved.writing : 0;
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new epoch or another current run is the trigger to list the stored runs again
  useEffect(() => {
    if (open) void listStoredRuns().then(setRuns);
  }, [open, epochsCount, currentId]);
  return (
    <details className="runs-panel" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>
        Saved runs {storageNote && <span className="muted">({storageNote})</span>}{' '}
        <span
          className="muted save-state"
          data-testid="save-state"
          data-epoch={savedEpoch}
          data-writing={writing}
          title="What of this run is stored in this browser: a reload or a closed tab loses nothing up to here."
        >
          {writing > 0 ? 'saving…' : savedEpoch >= 0 ? `this run saved through epoch ${savedEpoch}` : ''}
        </span>
      </summary>
      {runs.length === 0 ? (
        <p className="muted">No saved runs yet: every epoch is saved here as it is analysed.</p>
      ) : (
        <table className="runs-table" data-testid="runs-table">
          <thead>
            <tr>
              <th>Run</th>
              <th>Epochs</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} className={r.id === currentId ? 'current' : undefined}>
                <td>{r.name}</td>
                <td>{r.lastEpoch + 1}</td>
                <td>
                  <button type="button" disabled={r.id === currentId} onClick={() => void restoreRun(r.id)}>
                    Restore
                  </button>
                  <button
                    type="button"
                    aria-label={`Delete run ${r.name}`}
                    onClick={() => void deleteStoredRun(r.id).then(() => listStoredRuns().then(setRuns))}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
