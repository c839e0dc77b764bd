// Which mode a new chat session starts in. Pure (unit-tested).
import type { ChatMode } from './protocol';

/**
 * `victor.chat.defaultMode` as inspected: only the user's own (global) value counts, so a
 * repository's `.vscode/settings.json` cannot start sessions in agent mode (the setting is also
 * application-scoped in package.json, which VS Code enforces for workspace values).
 */
export function defaultModeFrom(inspected: { globalValue?: unknown } | undefined): ChatMode {
  return inspected?.globalValue === 'agent' ? 'agent' : 'ask';
}
