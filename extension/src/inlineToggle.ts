// Pure logic of the inline-completions toggle (no `vscode` import: unit-tested with node).

/** Client-only setting: whether the extension asks the server for ghost text at all. */
export const INLINE_SECTION = 'victor.inlineCompletions';
export const INLINE_KEY = 'enabled';
export const TOGGLE_COMMAND = 'victor.toggleInlineCompletions';

/** Where a value of `victor.inlineCompletions.enabled` is set (`inspect()`'s fields). */
export interface InspectedToggle {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
  defaultLanguageValue?: unknown;
  globalLanguageValue?: unknown;
  workspaceLanguageValue?: unknown;
  workspaceFolderLanguageValue?: unknown;
}

export type ToggleTarget = 'global' | 'workspace' | 'workspaceFolder';

/** The value in effect: the most specific scope wins, a language-specific value first. */
export function effectiveEnabled(info: InspectedToggle | undefined): boolean {
  const order = [
    info?.workspaceFolderLanguageValue,
    info?.workspaceLanguageValue,
    info?.globalLanguageValue,
    info?.defaultLanguageValue,
    info?.workspaceFolderValue,
    info?.workspaceValue,
    info?.globalValue,
    info?.defaultValue,
  ];
  const value = order.find((v) => typeof v === 'boolean');
  return value === undefined ? true : (value as boolean);
}

/**
 * What clicking the toggle writes: the opposite of what is in effect, at the most specific
 * (non-language) scope that already sets it, so the click is not shadowed by that scope;
 * the user settings when nothing is set.
 */
export function toggleUpdate(info: InspectedToggle | undefined): { value: boolean; target: ToggleTarget } {
  const value = !effectiveEnabled(info);
  if (typeof info?.workspaceFolderValue === 'boolean') return { value, target: 'workspaceFolder' };
  if (typeof info?.workspaceValue === 'boolean') return { value, target: 'workspace' };
  return { value, target: 'global' };
}

/** The status-bar item's text and tooltip for a state. */
export function toggleLabel(enabled: boolean): { text: string; tooltip: string } {
  return enabled
    ? { text: '$(sparkle) Ghost text', tooltip: 'Victor inline completions are on. Click to turn them off.' }
    : { text: '$(circle-slash) Ghost text', tooltip: 'Victor inline completions are off. Click to turn them on.' };
}
