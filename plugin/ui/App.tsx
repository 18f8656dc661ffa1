import { useState } from 'react';
import { INPUT_LIMITS } from '../../core/params';
import type { PanelActions, PanelState } from '../state/store';
import { AdvancedSettings } from './AdvancedSettings';
import { ConnectionStatus } from './ConnectionStatus';
import { JobProgress } from './JobProgress';
import { MessageBanner } from './MessageBanner';
import { Results } from './Results';
import { Button } from './spectrum/Button';
import { TextField } from './spectrum/TextField';

export interface AppProps {
  state: PanelState;
  actions: PanelActions;
}

function documentLine(state: PanelState): string {
  const doc = state.document;
  if (!doc) return 'No document open';
  return `${doc.title} · ${doc.width}×${doc.height}${doc.hasSelection ? '' : ' · no selection'}`;
}

/** The whole panel; state in, actions out. */
export function App({ state, actions }: AppProps) {
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const { job, settings } = state;
  const busy = job.phase === 'reading' || job.phase === 'submitting' || job.phase === 'running';
  return (
    <div className="panel">
      <ConnectionStatus connection={state.connection} onConnect={(url, token) => actions.setService(url, token)} onRetry={() => void actions.connect()} />
      <sp-divider size="small"></sp-divider>
      <sp-detail data-testid="document-line">{documentLine(state)}</sp-detail>
      <TextField
        label="Prompt"
        multiline
        value={settings.prompt}
        maxLength={INPUT_LIMITS.promptChars}
        placeholder="Describe what to add, or leave empty to fill from the surroundings"
        disabled={busy}
        onInput={(prompt) => actions.updateSettings({ prompt })}
      />
      <div className="row">
        <Button variant="cta" disabled={busy} onClick={() => void actions.generate()}>
          {job.phase === 'reading' ? 'Reading selection…' : job.phase === 'submitting' ? 'Sending…' : 'Generate'}
        </Button>
        <Button variant="secondary" quiet onClick={() => setAdvancedOpen(!advancedOpen)}>
          {advancedOpen ? 'Hide advanced settings' : 'Advanced settings'}
        </Button>
      </div>
      {advancedOpen ? <AdvancedSettings settings={settings} disabled={busy} onChange={(patch) => actions.updateSettings(patch)} /> : null}
      {state.message ? <MessageBanner message={state.message} onDismiss={() => actions.dismissMessage()} /> : null}
      {job.phase === 'running' ? <JobProgress job={job} onCancel={() => void actions.cancel()} /> : null}
      {job.phase === 'done' ? (
        <Results
          job={job}
          onInsert={(index) => void actions.insert(index)}
          onInsertAll={() => void actions.insertAll()}
          onReuseSeed={(index) => actions.reuseSeed(index)}
        />
      ) : null}
    </div>
  );
}
