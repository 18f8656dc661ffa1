import { useState } from 'react';
import { describeModel } from '../../core/protocol';
import type { Connection } from '../state/store';
import { Button } from './spectrum/Button';
import { TextField } from './spectrum/TextField';

/**
 * Limits of the two fields. The service sets none for these (they never reach it as input), so they are the panel's:
 * an origin is at most scheme + a 253-character host name + port; a bearer token of 1,024 characters is far beyond
 * any secret a person types or pastes.
 */
export const ADDRESS_MAX_CHARS = 300;
export const TOKEN_MAX_CHARS = 1024;

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
    case 'blocked':
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
          <TextField label="Service address" value={url} maxLength={ADDRESS_MAX_CHARS} onInput={setUrl} />
          <TextField label="Access token (remote service only)" value={token} maxLength={TOKEN_MAX_CHARS} onInput={setToken} />
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
