/**
 * Colour is decided once (colorEnabled: NO_COLOR, --no-color, TERM=dumb, TTY) and read from
 * this context; components never pick colours unconditionally. Status is always text too.
 */
import { createContext, useContext } from 'react';

export const ColorContext = createContext<boolean>(true);

export const useColor = (): boolean => useContext(ColorContext);

export type Colour = 'green' | 'yellow' | 'red' | 'magenta' | 'cyan' | 'gray' | undefined;

export function statusColour(status: string | null | undefined): Colour {
  switch (status) {
    case 'OK':
      return 'green';
    case 'DEGRADED':
    case 'ERROR':
      return 'yellow';
    case 'BLOCKED':
      return 'red';
    default:
      return 'magenta';
  }
}

/** The colour to pass to <Text color>, or undefined when colour is off. */
export function useColour(): (c: Colour) => Colour {
  const on = useColor();
  return (c) => (on ? c : undefined);
}
