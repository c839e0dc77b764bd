// `victor.trace.server` for vscode-languageclient 10+: the client only traces when its trace
// channel's log level is Trace, which users cannot guess. This channel reports Trace whenever
// the setting is not "off" and writes the trace to a "Victor Trace" log channel.
import * as vscode from 'vscode';

export function traceEnabled(): boolean {
  const value = vscode.workspace.getConfiguration('victor').get<string>('trace.server', 'off');
  return value === 'messages' || value === 'verbose';
}

export function createTraceChannel(): vscode.LogOutputChannel {
  const channel = vscode.window.createOutputChannel('Victor Trace', { log: true });
  const emitter = new vscode.EventEmitter<vscode.LogLevel>();
  let enabled = traceEnabled();
  const level = () => (enabled ? vscode.LogLevel.Trace : channel.logLevel);
  const subscriptions = [
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('victor.trace.server')) return;
      enabled = traceEnabled();
      emitter.fire(level());
    }),
    channel.onDidChangeLogLevel(() => emitter.fire(level())),
  ];
  const write = (message: string, ...args: unknown[]) => {
    const extra = args.length ? ' ' + args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') : '';
    // Written at info level so it shows whatever the channel's own level is.
    channel.info(message + extra);
  };
  return {
    get name() {
      return channel.name;
    },
    get logLevel() {
      return level();
    },
    onDidChangeLogLevel: emitter.event,
    trace: (message: string, ...args: unknown[]) => {
      if (enabled || channel.logLevel === vscode.LogLevel.Trace) write(message, ...args);
    },
    debug: (message: string, ...args: unknown[]) => channel.debug(message, ...args),
    info: (message: string, ...args: unknown[]) => channel.info(message, ...args),
    warn: (message: string, ...args: unknown[]) => channel.warn(message, ...args),
    error: (error: string | Error, ...args: unknown[]) => channel.error(error, ...args),
    append: (value: string) => channel.append(value),
    appendLine: (value: string) => channel.appendLine(value),
    replace: (value: string) => channel.replace(value),
    clear: () => channel.clear(),
    show: (columnOrPreserve?: vscode.ViewColumn | boolean, preserveFocus?: boolean) => {
      if (typeof columnOrPreserve === 'boolean' || columnOrPreserve === undefined) channel.show(columnOrPreserve);
      else channel.show(columnOrPreserve, preserveFocus);
    },
    hide: () => channel.hide(),
    dispose: () => {
      for (const s of subscriptions) s.dispose();
      emitter.dispose();
      channel.dispose();
    },
  };
}
