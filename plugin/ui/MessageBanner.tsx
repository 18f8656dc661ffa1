import type { Message } from '../state/store';
import { Button } from './spectrum/Button';

export interface MessageBannerProps {
  message: Message;
  onDismiss: () => void;
}

export function MessageBanner({ message, onDismiss }: MessageBannerProps) {
  return (
    <div className={`message message-${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'}>
      <sp-body size="S">{message.text}</sp-body>
      <Button variant="secondary" quiet onClick={onDismiss}>
        OK
      </Button>
    </div>
  );
}
