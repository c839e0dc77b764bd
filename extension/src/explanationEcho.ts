// The server sends an explanation twice: as victor/explanation (the chat view shows it) and as
// window/showMessage "title\n\nmarkdown" for clients without a chat view. When the chat view
// showed it, the pop-up is an echo: this remembers such explanations so the copy is skipped.
// Plain data (no VS Code API); the clock is a parameter.

/** How long a shown explanation waits for its window/showMessage copy. */
export const ECHO_WINDOW_MS = 30_000;

/** The window/showMessage text the server sends for an explanation. */
export function explanationMessage(title: string | null | undefined, markdown: string | null | undefined): string {
  return `${title ?? ''}\n\n${markdown ?? ''}`;
}

export class ExplanationEchoes {
  private readonly shown = new Map<string, number>();

  /** The chat view showed this explanation at `now`. */
  remember(title: string | null | undefined, markdown: string | null | undefined, now: number): void {
    this.shown.set(explanationMessage(title, markdown), now);
  }

  /**
   * Whether an info message is the copy of an explanation shown in the last ECHO_WINDOW_MS;
   * each shown explanation swallows one copy.
   */
  isEcho(message: string, now: number): boolean {
    for (const [text, at] of this.shown) if (now - at > ECHO_WINDOW_MS) this.shown.delete(text);
    return this.shown.delete(message);
  }
}
