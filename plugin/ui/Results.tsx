import { ENGINE_LABELS } from '../../core/params';
import type { JobView } from '../state/store';
import { Button } from './spectrum/Button';

export type DoneJob = Extract<JobView, { phase: 'done' }>;

export interface ResultsProps {
  job: DoneJob;
  onInsert: (index: number) => void;
  onInsertAll: () => void;
  onReuseSeed: (index: number) => void;
}

/** Thumbnails of the variations: click one to insert it as a new layer. */
export function Results({ job, onInsert, onInsertAll, onReuseSeed }: ResultsProps) {
  const busy = job.inserting !== null;
  return (
    <div className="results">
      {job.warnings.length > 0 ? (
        // What the service did differently from what was asked (e.g. a prompt no engine used): said before the results.
        <div className="message message-warning" role="status" data-testid="job-warnings">
          {job.warnings.map((warning) => (
            <sp-body key={warning} size="S">
              {warning}
            </sp-body>
          ))}
        </div>
      ) : null}
      <sp-detail>Click a variation to add it as a new layer</sp-detail>
      {job.engine ? <sp-detail data-testid="engine">Filled by {ENGINE_LABELS[job.engine]}</sp-detail> : null}
      <div className="thumbnails">
        {job.results.map((result) => (
          <div key={result.index} className={`thumbnail${result.inserted ? ' inserted' : ''}`} data-testid={`result-${result.index}`}>
            <div
              role="button"
              aria-label={`Insert variation ${result.index + 1} (seed ${result.seed})`}
              className="thumbnail-image"
              onClick={() => {
                if (!busy) onInsert(result.index);
              }}
            >
              {result.thumbnailUrl ? <img src={result.thumbnailUrl} alt={`Variation ${result.index + 1}`} /> : <sp-detail>No preview</sp-detail>}
            </div>
            <sp-detail>
              {job.inserting === result.index ? 'Inserting…' : result.inserted ? `Inserted · seed ${result.seed}` : `Seed ${result.seed}`}
            </sp-detail>
            <Button variant="secondary" quiet onClick={() => onReuseSeed(result.index)} title="Use this seed for the next Generate">
              Reuse seed
            </Button>
          </div>
        ))}
      </div>
      <Button variant="secondary" disabled={busy} onClick={onInsertAll}>
        Insert all
      </Button>
    </div>
  );
}
