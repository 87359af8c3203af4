/**
 * Colour is decided once (colorEnabled: NO_COLOR, --no-color, TERM=dumb, TTY) and read from
 * this context; components never pick colours unconditionally. Status is always text too.
 */
import { createContext, useContext } from 'react';
import { statusColour as sharedStatusColour } from '../cli/output.js';

export const ColorContext = createContext<boolean>(true);

export const useColor = (): boolean => useContext(ColorContext);

export type Colour = 'green' | 'yellow' | 'red' | 'magenta' | 'cyan' | 'gray' | undefined;

/** The CLI's table (cli/output.ts), so a status has one colour in every face. */
export const statusColour = (status: string | null | undefined): Colour => sharedStatusColour(status);

/** The colour to pass to <Text color>, or undefined when colour is off. */
export function useColour(): (c: Colour) => Colour {
  const on = useColor();
  return (c) => (on ? c : undefined);
}
