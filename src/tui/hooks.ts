/** Small hooks: the controller's data, a ticking clock (ages stay truthful between reads), terminal size. */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { useStdout } from 'ink';
import type { TuiController, TuiData } from './controller.js';

export function useTuiData(controller: TuiController): TuiData {
  return useSyncExternalStore(controller.subscribe, controller.getData);
}

export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** Fixed size when given (tests), else the terminal's, following resizes. */
export function useTerminalSize(fixed: { columns?: number; rows?: number }): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: fixed.columns ?? stdout.columns ?? 80, rows: fixed.rows ?? stdout.rows ?? 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout, fixed.columns, fixed.rows]);
  return fixed.columns || fixed.rows ? read() : size;
}
