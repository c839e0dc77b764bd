"""`victor serve | chat | prompt | style | sessions`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from victor import __version__

if TYPE_CHECKING:
    from victor.config.trust import WorkspaceTrust


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        args = parser.parse_args(["serve", *(argv or [])])
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if os.environ.get("VICTOR_LOG_FILE"):  # editors often hide a server's stderr
        handlers.append(logging.FileHandler(os.environ["VICTOR_LOG_FILE"], encoding="utf-8"))
    logging.basicConfig(
        level=getattr(args, "log_level", "WARNING"),
        handlers=handlers,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # At DEBUG the SDKs log whole requests: prompts and file contents stay out of logs.
    for noisy in ("anthropic", "httpx", "httpx2", "httpcore", "httpcore2"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLogger().level))
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line instead of a traceback for user errors
        from victor.errors import user_message

        message = user_message(exc)
        if message is None:
            raise
        print(f"victor: {message}", file=sys.stderr)
        return 1


def version_line() -> str:
    """`victor 0.1.0 (Python 3.12.3 at /usr/bin/python3)`: which server and which interpreter.

    Editors log it at start (the VS Code extension's "Show Server Output"), so that a report
    says which installation answered.
    """
    return f"victor {__version__} (Python {platform.python_version()} at {sys.executable})"


class _PrintVersion(argparse.Action):
    """Like argparse's "version" action, but never wrapped (a long interpreter path must stay on
    one line: editors parse it)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(version_line())
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="victor",
        description="Victor: an AI agent daemon "
        "for editors (a language server) and its command line.",
    )
    parser.add_argument(
        "--version",
        action=_PrintVersion,
        help="print the server's version and the Python that runs it",
    )
    parser.add_argument(
        "--log-level",
        default=os.environ.get("VICTOR_LOG_LEVEL", "WARNING").upper(),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="stderr log level (default: $VICTOR_LOG_LEVEL or WARNING)",
    )
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument(
        "--tcp",
        metavar="[HOST:]PORT",
        help="listen on TCP instead of stdio (host defaults to 127.0.0.1)",
    )
    serve.add_argument(
        "--socket",
        metavar="PATH",
        type=Path,
        help="listen on a Unix domain socket created with mode 0600 (local IPC without a token)",
    )
    serve.add_argument(
        "--token-file",
        metavar="PATH",
        type=Path,
        help="with --tcp: write the connection token here (mode 0600; default: "
        "<user runtime dir>/victor/tcp-PORT.token)",
    )
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    serve.set_defaults(func=_serve)

    trust = sub.add_parser(
        "trust",
        help="trust a folder: Victor may run its own formatters (limited mode otherwise)",
    )
    trust.add_argument("folder", nargs="?", type=Path, default=None, help="default: .")
    trust.add_argument("--list", action="store_true", help="list the trusted folders")
    trust.set_defaults(func=_trust)
    untrust = sub.add_parser("untrust", help="remove a folder from the trusted folders")
    untrust.add_argument("folder", nargs="?", type=Path, default=None, help="default: .")
    untrust.set_defaults(func=_untrust)

    commands = sub.add_parser(
        "commands",
        help="the commands agent mode may run in a folder without asking",
        description="victor commands list [DIR] | allow [DIR --] CMD... | deny [DIR --] CMD...  "
        "(an entry allows every command that starts with it; deny removes one)",
    )
    commands.add_argument("action", choices=["list", "allow", "deny"])
    commands.add_argument("rest", nargs=argparse.REMAINDER, help="[DIR] [--] [COMMAND ...]")
    commands.set_defaults(func=_commands)

    chat = sub.add_parser("chat", help="one turn from the terminal, streamed")
    chat.add_argument("message", help="what to ask")
    chat.add_argument(
        "--workspace",
        type=Path,
        default=Path.cwd(),
        help="workspace folder (default: the current directory)",
    )
    chat.add_argument("--session", help="continue this session id (default: the latest)")
    chat.add_argument("--new", action="store_true", help="start a new session")
    chat.add_argument("--file", type=Path, help="treat this file as the active document")
    chat.set_defaults(func=_chat)

    prompt = sub.add_parser("prompt", help="print the whole system prompt for a file")
    prompt.add_argument("path", type=Path)
    prompt.set_defaults(func=_prompt)

    style = sub.add_parser("style", help="print a file's style card with sources")
    style.add_argument("path", type=Path)
    style.set_defaults(func=_style)

    sessions = sub.add_parser("sessions", help="list, show, export or delete sessions")
    sessions.add_argument(
        "action", nargs="?", default="list", choices=["list", "show", "export", "delete"]
    )
    sessions.add_argument("session_id", nargs="?")
    sessions.add_argument("--workspace", type=Path, default=Path.cwd())
    sessions.set_defaults(func=_sessions)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from victor.lsp.server import run

    host, port = None, None
    if args.tcp and args.socket:
        raise SystemExit("victor: choose one of --tcp and --socket")
    if args.token_file and not args.tcp:
        raise SystemExit("victor: --token-file goes with --tcp")
    if args.tcp:
        text = str(args.tcp)
        host, _, port_text = text.rpartition(":")
        host = host or "127.0.0.1"
        if not port_text.isdigit():
            raise SystemExit(f"victor: --tcp expects [HOST:]PORT, got {text!r}")
        port = int(port_text)
    run(host=host, port=port, socket_path=args.socket, token_file=args.token_file)
    return 0


def _trust(args: argparse.Namespace) -> int:
    from victor.config.trust import TrustStore

    store = TrustStore()
    if args.list:
        if args.folder is not None:
            raise SystemExit("victor: trust --list takes no folder")
        for folder in store.folders():
            print(folder)
        return 0
    folder = (args.folder or Path.cwd()).resolve()
    if not folder.is_dir():
        raise SystemExit(f"victor: {args.folder}: not a directory")
    print(f"trusted: {store.trust(folder)} (in {store.path})")
    return 0


def _untrust(args: argparse.Namespace) -> int:
    from victor.config.trust import TrustStore

    store = TrustStore()
    folder = (args.folder or Path.cwd()).resolve()
    if store.untrust(folder):
        print(f"untrusted: {folder}")
        return 0
    parent = store.trusted_by(folder)
    hint = f" (it is trusted through {parent}: untrust that)" if parent else ""
    print(f"victor: {folder} was not in the trusted folders{hint}", file=sys.stderr)
    return 1


def _commands(args: argparse.Namespace) -> int:
    from victor.config.command_allowlist import CommandAllowlist, command_line

    rest = list(args.rest)
    if args.action == "list":
        if len(rest) > 1:
            raise SystemExit("victor: commands list takes at most one folder")
        folder, command = Path(rest[0]) if rest else Path.cwd(), []
    elif "--" in rest:
        split = rest.index("--")
        if split > 1:
            raise SystemExit("victor: one folder before --")
        folder = Path(rest[0]) if split == 1 else Path.cwd()
        command = rest[split + 1 :]
    else:
        folder, command = Path.cwd(), rest
    folder = folder.resolve()
    if not folder.is_dir():
        raise SystemExit(f"victor: {folder}: not a directory")
    store = CommandAllowlist()
    if args.action == "list":
        for entry in store.entries(folder):
            print(command_line(entry))
        return 0
    if not command:
        raise SystemExit(f"victor: commands {args.action} needs a command, e.g. -- pytest -q")
    if args.action == "allow":
        added = store.allow(folder, command)
        state = "allowed" if added else "already allowed"
        print(f"{state} in {folder}: {command_line(command)} (in {store.path})")
        return 0
    if store.remove(folder, command):
        print(f"removed from {folder}: {command_line(command)}")
        return 0
    print(f"victor: {command_line(command)} was not allowed in {folder}", file=sys.stderr)
    return 1


def _chat(args: argparse.Namespace) -> int:
    return asyncio.run(_chat_async(args))


async def _chat_async(args: argparse.Namespace) -> int:
    from victor.agent.events import Compacted, TextDelta, ToolCallStarted, TurnDone
    from victor.agent.workspace_agent import WorkspaceAgent
    from victor.config.loader import load_settings

    root = args.workspace.resolve()
    if not await asyncio.to_thread(root.is_dir):
        raise SystemExit(f"victor: --workspace {args.workspace}: not a directory")
    settings = load_settings(root)
    agent = await WorkspaceAgent.create(root, settings, watch=False, trust=_store_trust(root))
    try:
        await agent.style.wait_ready(timeout=10)
        orchestrator = agent.orchestrator
        session = args.session
        if args.new:
            session = orchestrator._session_coordinator.new_session().id
        context = {}
        if args.file:
            context["file"] = str(args.file.resolve())
        out = sys.stdout
        async for event in orchestrator.stream_chat(
            args.message, session_id=session, prompt_context=context
        ):
            if isinstance(event, TextDelta):
                out.write(event.text)
                out.flush()
            elif isinstance(event, ToolCallStarted):
                print(f"\n[tool] {event.call.name} {event.call.arguments}", file=sys.stderr)
            elif isinstance(event, Compacted):
                r = event.report
                print(
                    f"[compacted {r.before_tokens} -> {r.after_tokens} tokens ({r.strategy})]",
                    file=sys.stderr,
                )
            elif isinstance(event, TurnDone):
                u = event.response.usage
                out.write("\n")
                print(
                    f"[session {event.session_id} · {orchestrator.provider.name}"
                    f"{'/' + orchestrator.model if orchestrator.model else ''} · "
                    f"{u.total_tokens} tokens · context {event.context.percent}%]",
                    file=sys.stderr,
                )
    finally:
        await agent.aclose()
    return 0


def _prompt(args: argparse.Namespace) -> int:
    from victor.workspace import find_workspace_root

    file = args.path.resolve()
    if not file.exists():
        raise SystemExit(f"victor: {args.path}: no such file")
    return asyncio.run(_prompt_async(file, find_workspace_root(file)))


async def _prompt_async(file: Path, root: Path) -> int:
    from victor.agent.workspace_agent import WorkspaceAgent
    from victor.config.loader import load_settings

    agent = await WorkspaceAgent.create(
        root, load_settings(root), watch=False, trust=_store_trust(root)
    )
    try:
        await agent.style.wait_ready(timeout=30)
        from victor.agent.prompt_view import prompt_view

        # the system prompt, then what travels with a question about this file (as victor/prompt)
        view = await prompt_view(agent.orchestrator, {"file": str(file)}, None)
        print(view.text)
    finally:
        await agent.aclose()
    return 0


def _store_trust(root: Path) -> WorkspaceTrust:
    """A command-line run trusts what ``victor trust`` listed, nothing else."""
    from victor.config.trust import TrustStore, resolve_trust

    return resolve_trust(root, None, TrustStore())


def _style(args: argparse.Namespace) -> int:
    from victor.workspace import describe_style

    path = args.path.resolve()
    if not path.exists():
        raise SystemExit(f"victor: {args.path}: no such file")
    print(describe_style(path))
    return 0


def _sessions(args: argparse.Namespace) -> int:
    from victor.config.settings import Settings
    from victor.storage.session_store import SessionStore

    store = SessionStore.for_workspace(args.workspace.resolve(), Settings().data_dir)
    try:
        if args.action == "list":
            for info in store.list_sessions():
                print(f"{info.id}  {info.message_count:4d} msgs  {info.title or '(untitled)'}")
            return 0
        if not args.session_id:
            raise SystemExit(f"victor: sessions {args.action} needs a session id")
        if args.action == "delete":
            store.delete_session(args.session_id)
        else:  # show and export both print the Markdown transcript
            print(store.export_markdown(args.session_id))
    finally:
        store.close()
    return 0
