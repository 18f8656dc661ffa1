import { useState } from 'react';
import { describeModel } from '../../core/protocol';
import type { Connection } from '../state/store';
import { Button } from './spectrum/Button';
import { TextField } from './spectrum/TextField';

export interface ConnectionStatusProps {
  connection: Connection;
  /** Connect to `url` with `token` ('' = none). */
  onConnect: (url: string, token: string) => void;
  /** Re-check the current service. */
  onRetry: () => void;
}

function describe(connection: Connection): string {
  switch (connection.status) {
    case 'connecting':
      return 'Connecting…';
    case 'unreachable':
    case 'incompatible':
      return connection.message;
    case 'connected': {
      const { health } = connection;
      const engine = health.engines.find((e) => e.name === health.defaultEngine);
      if (!engine) return `Connected to genfill ${health.version}, but no engine can run: ${health.engines.map((e) => e.reason).filter(Boolean).join(' ')}`;
      const model = engine.identity ? describeModel(engine.identity) : engine.model;
      const details = [model, engine.provider, engine.dtype].filter(Boolean).join(', ');
      return `Connected to genfill ${health.version} · ${engine.name}${details ? ` (${details})` : ''}`;
    }
  }
}

/** Service address (editable), connection status and the engine the service will use. */
export function ConnectionStatus({ connection, onConnect, onRetry }: ConnectionStatusProps) {
  const [url, setUrl] = useState(connection.url);
  const [token, setToken] = useState('');
  const [editing, setEditing] = useState(false);
  return (
    <div className="connection" data-status={connection.status}>
      <div className="row">
        <span className={`dot dot-${connection.status}`}></span>
        <sp-body size="S" data-testid="connection-text">{describe(connection)}</sp-body>
      </div>
      {editing ? (
        <div className="row">
          <TextField label="Service address" value={url} onInput={setUrl} />
          <TextField label="Access token (remote service only)" value={token} onInput={setToken} />
          <Button
            variant="primary"
            onClick={() => {
              setEditing(false);
              onConnect(url, token);
            }}
          >
            Connect
          </Button>
        </div>
      ) : (
        <div className="row">
          <sp-detail>{connection.url}</sp-detail>
          <Button variant="secondary" quiet onClick={() => setEditing(true)}>
            Change
          </Button>
          {connection.status !== 'connected' && connection.status !== 'connecting' ? (
            <Button variant="secondary" quiet onClick={onRetry}>
              Retry
            </Button>
          ) : null}
        </div>
      )}
    </div>
  );
}
