import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ADD_LABEL,
  MAX_ARGS,
  allowedMessage,
  allowlistEntries,
  allowlistFolders,
  allowlistPickItems,
  allowlistPlaceholder,
  commandLine,
  escapeIcons,
  parseCommandLine,
  removedMessage,
} from '../src/commandAllowlist';

const argvOf = (text: string): string[] => {
  const parsed = parseCommandLine(text);
  assert.ok('argv' in parsed, `${text}: ${'error' in parsed ? parsed.error : ''}`);
  return parsed.argv;
};
const errorOf = (text: string): string => {
  const parsed = parseCommandLine(text);
  assert.ok('error' in parsed, `${text} was accepted as ${JSON.stringify(parsed)}`);
  return parsed.error;
};

describe('parseCommandLine (the "Add a command…" input box)', () => {
  it('splits like a POSIX shell: spaces, quotes, backslashes', () => {
    assert.deepEqual(argvOf('pytest -q'), ['pytest', '-q']);
    assert.deepEqual(argvOf('  npm   run  test '), ['npm', 'run', 'test']);
    assert.deepEqual(argvOf(`python -c 'print("a b")'`), ['python', '-c', 'print("a b")']);
    assert.deepEqual(argvOf('git commit -m "it\'s \\"done\\""'), ['git', 'commit', '-m', 'it\'s "done"']);
    assert.deepEqual(argvOf('ls my\\ dir a"b c"d'), ['ls', 'my dir', 'ab cd']);
    assert.deepEqual(argvOf('echo "\\n"'), ['echo', '\\n']); // in "…" a backslash escapes only \ " $ `
  });

  it('takes quoted shell syntax literally', () => {
    assert.deepEqual(argvOf(`grep -E 'a|b' src`), ['grep', '-E', 'a|b', 'src']);
    assert.deepEqual(argvOf('echo "x > y" \\;'), ['echo', 'x > y', ';']);
  });

  it('refuses shell syntax, since commands run without a shell', () => {
    for (const text of ['pytest | tee log', 'make && make install', 'ls; rm -rf x', 'cat < in', 'echo hi > out', 'echo $(id)', 'echo `id`', 'sleep 1 &']) {
      assert.match(errorOf(text), /without a shell/, text);
    }
    assert.match(errorOf('FOO=1 pytest'), /environment variable/);
  });

  it('names what is wrong with a malformed line', () => {
    assert.match(errorOf(''), /Type a command/);
    assert.match(errorOf('   '), /Type a command/);
    assert.match(errorOf("echo 'open"), /not closed/);
    assert.match(errorOf('echo "open'), /not closed/);
    assert.match(errorOf('echo \\'), /backslash/);
    assert.match(errorOf("pytest ''"), /empty argument/);
    assert.match(errorOf('echo a\0b'), /NUL/);
    assert.match(errorOf(Array.from({ length: MAX_ARGS + 1 }, () => 'x').join(' ')), new RegExp(`${MAX_ARGS}`));
    assert.equal(argvOf(Array.from({ length: MAX_ARGS }, () => 'x').join(' ')).length, MAX_ARGS);
  });
});

describe('commandLine (how an entry is shown)', () => {
  it("quotes like Python's shlex.join (the server's prompt and `victor commands list`)", () => {
    assert.equal(commandLine(['pytest', '-q', 'tests/test_app.py']), 'pytest -q tests/test_app.py');
    assert.equal(commandLine(['python', '-c', 'print(1)']), "python -c 'print(1)'");
    assert.equal(commandLine(['echo', "it's"]), `echo 'it'"'"'s'`);
    assert.equal(commandLine(['npm', 'run', 'build:prod', '--x=a,b@c%d+e']), 'npm run build:prod --x=a,b@c%d+e');
    assert.equal(commandLine(['ls', 'my dir', '$HOME', 'a|b']), "ls 'my dir' '$HOME' 'a|b'");
  });

  it('reads back as the same argv', () => {
    const argvs = [
      ['pytest', '-q'],
      ['python', '-c', 'import sys; print(sys.argv)'],
      ['echo', "it's \"quoted\"", 'a\\b', '$(id)', '`id`', 'x > y', 'tab\there'],
      ['git', 'log', '--format=%H %s'],
    ];
    for (const argv of argvs) assert.deepEqual(argvOf(commandLine(argv)), argv);
  });
});

describe('the manage list', () => {
  it('reads the entries of victor/commands/list, leaving out anything not an argv', () => {
    const result = { workspaceFolder: 'file:///w', commands: [['pytest', '-q'], [], ['ok'], [1, 'x'], 'ls', ['a', '']] };
    assert.deepEqual(allowlistEntries(result), [['pytest', '-q'], ['ok']]);
    assert.deepEqual(allowlistEntries({ workspaceFolder: 'file:///w', commands: [] }), []);
    assert.deepEqual(allowlistEntries(null), []);
    assert.deepEqual(allowlistEntries({ commands: 'pytest' }), []);
  });

  it('offers "Add a command…" first, then each entry shown as a command line', () => {
    const items = allowlistPickItems([['pytest', '-q'], ['python', '-c', 'print(1)']]);
    assert.equal(items[0]!.label, ADD_LABEL);
    assert.deepEqual(items[0]!.choice, { kind: 'add' });
    assert.deepEqual(
      items.slice(1).map((i) => [i.label, i.choice]),
      [
        ['pytest -q', { kind: 'entry', argv: ['pytest', '-q'] }],
        ["python -c 'print(1)'", { kind: 'entry', argv: ['python', '-c', 'print(1)'] }],
      ],
    );
    assert.deepEqual(allowlistPickItems([]).map((i) => i.choice), [{ kind: 'add' }]);
  });

  it('shows an entry with $(…) as text, not as an icon', () => {
    assert.equal(escapeIcons('echo $(trash) $HOME'), 'echo \\$(trash) $HOME');
    assert.equal(allowlistPickItems([['echo', '$(trash)']])[1]!.label, "echo '\\$(trash)'");
  });

  it('says plainly when the list is empty', () => {
    assert.equal(allowlistPlaceholder('proj', 0), 'No allowed commands in proj: agent mode asks before every command.');
    assert.match(allowlistPlaceholder('proj', 1), /^1 command runs without asking in proj\. Select one to remove it\.$/);
    assert.match(allowlistPlaceholder('proj', 3), /^3 commands run without asking in proj/);
  });

  it('reports what allow and remove did', () => {
    assert.match(allowedMessage('proj', ['pytest', '-q'], true), /now runs "pytest -q" .*in proj without asking/);
    assert.match(allowedMessage('proj', ['pytest', '-q'], false), /"pytest -q" was already allowed in proj/);
    assert.match(removedMessage('proj', ['pytest'], true), /"pytest" removed; agent mode asks before running it in proj/);
    assert.match(removedMessage('proj', ['pytest'], false), /"pytest" was not in proj's allowed commands/);
  });
});

describe('allowlistFolders (which folder to manage)', () => {
  const a = { name: 'a', uri: 'file:///w/a', local: true };
  const b = { name: 'b', uri: 'file:///w/b', local: true };
  const remote = { name: 'r', uri: 'vscode-vfs://github/x/y', local: false };

  it('offers the local folders, the active editor\'s first', () => {
    assert.deepEqual(allowlistFolders([a, b, remote]), [a, b]);
    assert.deepEqual(allowlistFolders([a, remote, b], 'file:///w/b'), [b, a]);
    assert.deepEqual(allowlistFolders([a, b], 'file:///elsewhere'), [a, b]);
  });

  it('has nothing to offer without a local folder', () => {
    assert.deepEqual(allowlistFolders([]), []);
    assert.deepEqual(allowlistFolders([remote]), []);
  });
});

describe('package.json', () => {
  it('contributes "Victor: Manage Allowed Commands"', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const command = pkg.contributes.commands.find((c: { command: string }) => c.command === 'victor.manageAllowedCommands');
    assert.deepEqual(command, { command: 'victor.manageAllowedCommands', title: 'Manage Allowed Commands', category: 'Victor' });
  });
});
