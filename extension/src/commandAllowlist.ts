// Pure logic of "Victor: Manage Allowed Commands" (allowedCommands.ts): reading the server's
// list, showing an argv as a command line, turning a typed command line into an argv. No
// `vscode` import here, so it is unit-tested with node's test runner.

/** The server's limit on an entry's length (victor/commands/allow's `command`). */
export const MAX_ARGS = 200;

/** What `victor/commands/list` answers. */
export interface CommandsListResult {
  workspaceFolder: string;
  commands: string[][];
}

/** The entries of a `victor/commands/list` answer; anything not an argv is left out. */
export function allowlistEntries(result: unknown): string[][] {
  const commands = result && typeof result === 'object' ? (result as { commands?: unknown }).commands : undefined;
  if (!Array.isArray(commands)) return [];
  return commands.filter(
    (entry): entry is string[] =>
      Array.isArray(entry) && entry.length > 0 && entry.every((arg) => typeof arg === 'string' && arg !== ''),
  );
}

const SAFE_ARG = /^[\w@%+=:,./-]+$/;

/**
 * `argv` as a POSIX shell user would type it, quoted like Python's `shlex.join` (how the
 * server's approval prompt and `victor commands list` show it). For showing, never for running.
 */
export function commandLine(argv: readonly string[]): string {
  return argv.map((arg) => (arg !== '' && SAFE_ARG.test(arg) ? arg : `'${arg.replace(/'/g, `'"'"'`)}'`)).join(' ');
}

export type ParsedCommand = { argv: string[] } | { error: string };

// Shell syntax that means something else than a character of an argument. Victor runs commands
// without a shell, so typed unquoted it is refused rather than allowed as a literal argument.
const OPERATORS = ['&&', '||', '$(', '|', '&', ';', '<', '>', '`'];
const IN_DOUBLE_QUOTES_ESCAPABLE = new Set(['\\', '"', '$', '`', '\n']);

/**
 * A command line split into an argv like a POSIX shell does (Python's `shlex.split`): spaces
 * separate, '…' is literal, "…" and \ escape. Pipes, redirections, `;`, `&&`, `$(…)` and
 * environment assignments (`FOO=1 cmd`) are refused: commands run without a shell.
 */
export function parseCommandLine(text: string): ParsedCommand {
  const argv: string[] = [];
  let current: string | undefined;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      if (current !== undefined) argv.push(current);
      current = undefined;
      i++;
    } else if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { error: 'A quote (\') is not closed.' };
      current = (current ?? '') + text.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && IN_DOUBLE_QUOTES_ESCAPABLE.has(text[j + 1]!)) j++;
        value += text[j];
      }
      if (j >= text.length) return { error: 'A quote (") is not closed.' };
      current = (current ?? '') + value;
      i = j + 1;
    } else if (ch === '\\') {
      if (i + 1 >= text.length) return { error: 'The command ends with a backslash.' };
      current = (current ?? '') + text[i + 1];
      i += 2;
    } else {
      const operator = OPERATORS.find((op) => text.startsWith(op, i));
      if (operator) {
        return {
          error: `"${operator}" is shell syntax, and Victor runs commands without a shell (no pipes, redirections or command lists). Quote it to mean the character itself.`,
        };
      }
      current = (current ?? '') + ch;
      i++;
    }
  }
  if (current !== undefined) argv.push(current);
  return checkArgv(argv);
}

function checkArgv(argv: string[]): ParsedCommand {
  if (argv.length === 0) return { error: 'Type a command, e.g. pytest -q' };
  if (argv.length > MAX_ARGS) return { error: `At most ${MAX_ARGS} arguments.` };
  if (argv.some((arg) => arg === '')) return { error: "An empty argument ('' or \"\") cannot be allowed." };
  if (argv.some((arg) => arg.includes('\0'))) return { error: 'An argument contains a NUL character.' };
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[0]!)) {
    return { error: `"${argv[0]}" sets an environment variable: Victor runs commands without a shell. Start with the program.` };
  }
  return { argv };
}

/** What the manage list offers: add a command, or one allowed entry (selecting it removes it). */
export type AllowlistChoice = { kind: 'add' } | { kind: 'entry'; argv: string[] };

export interface AllowlistPickItem {
  label: string;
  description?: string;
  choice: AllowlistChoice;
}

export const ADD_LABEL = '$(add) Add a command…';

/** `text` shown literally in a QuickPick label (`$(name)` would otherwise render an icon). */
export function escapeIcons(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}

/** The items of the manage list: "Add a command…" first, then each entry. */
export function allowlistPickItems(entries: readonly string[][]): AllowlistPickItem[] {
  const items: AllowlistPickItem[] = [
    { label: ADD_LABEL, description: 'run without asking in agent mode', choice: { kind: 'add' } },
  ];
  for (const argv of entries) {
    items.push({ label: escapeIcons(commandLine(argv)), description: 'and what follows it · select to remove', choice: { kind: 'entry', argv: [...argv] } });
  }
  return items;
}

/** The list's prompt, saying plainly when nothing is allowed. */
export function allowlistPlaceholder(folderName: string, count: number): string {
  if (count === 0) return `No allowed commands in ${folderName}: agent mode asks before every command.`;
  const what = count === 1 ? '1 command runs' : `${count} commands run`;
  return `${what} without asking in ${folderName}. Select one to remove it.`;
}

/** The message after `victor/commands/allow`. */
export function allowedMessage(folderName: string, argv: readonly string[], added: boolean): string {
  const line = commandLine(argv);
  return added
    ? `Victor: agent mode now runs "${line}" (and commands that start with it) in ${folderName} without asking.`
    : `Victor: "${line}" was already allowed in ${folderName}.`;
}

/** The message after `victor/commands/remove`. */
export function removedMessage(folderName: string, argv: readonly string[], removed: boolean): string {
  const line = commandLine(argv);
  return removed
    ? `Victor: "${line}" removed; agent mode asks before running it in ${folderName}.`
    : `Victor: "${line}" was not in ${folderName}'s allowed commands (removed elsewhere?).`;
}

/** A workspace folder as far as choosing one goes. */
export interface FolderInfo {
  name: string;
  /** The folder's URI, as the server knows it (`workspaceFolder`). */
  uri: string;
  /** Whether the folder is on the local file system (the server knows no other folders). */
  local: boolean;
}

/**
 * The folders to choose from, the active editor's first; empty when no local folder is open
 * (the allowlist is per folder of the file system).
 */
export function allowlistFolders(folders: readonly FolderInfo[], activeUri?: string): FolderInfo[] {
  const local = folders.filter((f) => f.local);
  const active = local.findIndex((f) => f.uri === activeUri);
  return active <= 0 ? local : [local[active]!, ...local.slice(0, active), ...local.slice(active + 1)];
}
