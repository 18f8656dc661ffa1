import { ENGINE_LABELS } from '../../core/params';
import type { JobView } from '../state/store';
import { Button } from './spectrum/Button';
import { ProgressBar } from './spectrum/ProgressBar';

export type RunningJob = Extract<JobView, { phase: 'running' }>;

export interface JobProgressProps {
  job: RunningJob;
  onCancel: () => void;
}

function statusLine(job: RunningJob): string {
  const { progress } = job;
  if (job.state === 'queued') return job.position ? `Waiting: ${job.position} job${job.position === 1 ? '' : 's'} ahead` : 'Starting…';
  if (!progress || progress.phase === 'loading') return 'Loading the model…';
  if (progress.phase !== 'denoising') return progress.phase === 'preparing' ? 'Preparing…' : 'Finishing…';
  const variation = progress.variation === null ? '' : `Variation ${progress.variation + 1}/${progress.variations} · `;
  const eta = progress.etaSeconds === null ? '' : ` · about ${Math.max(1, Math.round(progress.etaSeconds))} s left`;
  // The classic fill counts PatchMatch passes, not denoising steps.
  const unit = progress.unit === 'pass' ? 'Pass' : 'Step';
  return `${variation}${unit} ${progress.step}/${progress.steps}${eta}`;
}

export function JobProgress({ job, onCancel }: JobProgressProps) {
  const fraction = job.progress?.fraction ?? 0;
  const line = statusLine(job);
  return (
    <div className="progress">
      <ProgressBar fraction={fraction} label="Generating" valueLabel={`${Math.round(fraction * 100)}%`} />
      <sp-detail data-testid="progress-text">{line}</sp-detail>
      {job.engine ? <sp-detail data-testid="engine">{ENGINE_LABELS[job.engine]}</sp-detail> : null}
      {job.previewUrl ? <img className="preview" src={job.previewUrl} alt="Latest preview" /> : null}
      <Button variant="secondary" disabled={job.cancelling} onClick={onCancel}>
        {job.cancelling ? 'Cancelling…' : 'Cancel'}
      </Button>
    </div>
  );
}
