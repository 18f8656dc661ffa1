import { describe, expect, it } from 'vitest';
import { createLogger } from '../../service/log';

describe('service log', () => {
  it('writes one line per event: time, level, key=value fields (job id first for a child), message', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (line) => lines.push(line) });
    log.child({ job: 'ab12cd34' }).info('started', { engine: 'classic', waitedMs: 3, note: 'two words', skipped: undefined });
    log.debug('not shown at info');
    log.error('worker failed:\nline two\r\nline three');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z info {2}job=ab12cd34 engine=classic waitedMs=3 note="two words" started$/);
    expect(lines[1]).toMatch(/ error worker failed:\\nline two\\nline three$/);
    expect(lines.every((line) => !/[\r\n]/.test(line))).toBe(true);
  });

  it('quiet keeps warnings and errors only', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', quiet: true, write: (line) => lines.push(line) });
    log.info('hidden');
    log.warn('shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ warn {2}shown$/);
  });
});
