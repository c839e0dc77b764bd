// The "Show System Prompt" document: everything the model receives besides the conversation,
// laid out as it is sent (victor/prompt; older servers answer victor/systemPrompt with the
// prompt text only). Pure: no vscode import, so it is unit-tested.
import type { PromptContribution, SystemPromptResult } from './protocol';

export function renderPromptDocument(result: SystemPromptResult): string {
  if (!result.system) return result.prompt ?? '';
  const lines: string[] = [];
  const breakpoints = (result.cacheBreakpoints ?? []).join(', ') || 'none';
  lines.push(`<!-- layout: ${result.layout ?? 'unknown'}; cache breakpoints: ${breakpoints} -->`);
  result.system.forEach((block, index) => {
    const cached = block.cacheBreakpoint ? 'cached: a cache breakpoint follows it' : 'not cached';
    const title = result.system && result.system.length > 1 ? `System prompt, part ${index + 1}` : 'System prompt';
    lines.push('', `# ${title} (${cached})`, '', block.text);
  });
  if (result.editorContext) {
    lines.push('', '# Editor context (sent with your next message, before its text)', '', result.editorContext);
  }
  return lines.join('\n').trimStart() + '\n';
}

/** The style card that applies to the active file: its own when it travels with the turn,
 * else the one in the system prompt. */
export function styleCards(result: SystemPromptResult): PromptContribution[] {
  const cards = (result.contributions ?? []).filter((c) => /style/i.test(c.name) && c.text.trim());
  const own = cards.filter((c) => c.part === 'editor');
  return own.length > 0 ? own : cards;
}
