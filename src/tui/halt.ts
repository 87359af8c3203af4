/**
 * The halt dialog's state changes (pure): H opens it with the scope of the current selection —
 * the bot shown in Panel B, the integration under the cursor in Panel A, else global — then the
 * reason is typed, Enter, then HALT typed to confirm, Enter: only then does App write (through
 * TuiController.halt). Esc cancels at any step; nothing is written before the confirmation.
 */
import type { Action } from './keymap.js';
import type { ShellEnv } from './panels/panel.js';
import { shownRows } from './panels/integrations.js';
import { proofView } from './panels/proof.js';
import { edited, HALT_WORD, type HaltDialog, type UiState } from './state.js';

/** The scope a halt from here would cover. */
export function haltScopeOf(s: UiState, env: ShellEnv): Pick<HaltDialog, 'scope' | 'target'> {
  if (s.panel === 'proof') {
    const bot = proofView(env.data)?.proof.botId ?? s.botId;
    if (bot) return { scope: 'bot', target: bot };
  }
  if (s.panel === 'integrations') {
    const name = s.drawer ?? shownRows(env.data, s)[s.cursor.integrations]?.name;
    if (name) return { scope: 'integration', target: name };
  }
  return { scope: 'global', target: '*' };
}

export function openHalt(s: UiState, env: ShellEnv): UiState {
  return { ...s, notice: null, halt: { ...haltScopeOf(s, env), step: 'reason', reason: '', confirm: '', error: null } };
}

/** A key while the dialog is open. */
export function reduceHalt(s: UiState, a: Action): UiState {
  const h = s.halt!;
  if (h.step === 'sending') return s;
  if (a.type === 'close') return { ...s, halt: null, notice: 'halt cancelled: nothing written' };
  const field = h.step === 'reason' ? 'reason' : 'confirm';
  if (a.type === 'type' || a.type === 'erase') return { ...s, halt: { ...h, [field]: edited(h[field], a), error: null } };
  if (a.type !== 'open') return s;
  if (h.step === 'reason')
    return h.reason.trim() ? { ...s, halt: { ...h, step: 'confirm', error: null } } : { ...s, halt: { ...h, error: 'a reason is required' } };
  if (h.confirm !== HALT_WORD) return { ...s, halt: { ...h, error: `type ${HALT_WORD} (capitals) to confirm, or Esc to cancel` } };
  return { ...s, halt: { ...h, step: 'sending', error: null } };
}

export const describeHaltScope = (h: Pick<HaltDialog, 'scope' | 'target'>) => (h.scope === 'global' ? 'global (every bot)' : `${h.scope} ${h.target}`);
