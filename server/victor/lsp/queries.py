"""``victor/prompt`` (alias ``victor/systemPrompt``) and ``victor/status``."""

from __future__ import annotations

from typing import Any

from pygls.uris import from_fs_path

from victor import __version__
from victor.lsp.errors import jsonrpc_errors
from victor.lsp.requests import prompt_context, resolve_target
from victor.lsp.server import VictorServer


def setup(server: VictorServer) -> None:
    async def prompt(ls: VictorServer, raw: Any) -> dict[str, Any]:
        from victor.agent.prompt_view import prompt_view
        from victor.lsp.params import SystemPromptParams, parse

        params = parse(SystemPromptParams, raw)
        uri = params.text_document.uri if params.text_document else None
        target = await resolve_target(ls, document_uri=uri, folder_uri=params.workspace_folder)
        orchestrator = target.agent.orchestrator
        session_id = None
        if params.session_id:
            await ls.folders.find_session(params.session_id)  # unknown id -> InvalidParams
            session_id = params.session_id
        context = prompt_context(
            ls, target, document_uri=uri, range=params.range, position=params.position
        )
        view = await prompt_view(orchestrator, context, session_id)
        return {
            "layout": view.layout,
            "system": [
                {"text": b.text, "cacheBreakpoint": b.cache_breakpoint} for b in view.system
            ],
            "editorContext": view.editor_context,
            "cacheBreakpoints": list(view.cache_breakpoints),
            "prompt": view.text,
            "contributions": [
                {"name": c.name, "priority": c.priority, "text": c.text, "part": part}
                for c, part in view.contributions
            ],
        }

    # victor/systemPrompt: the name older clients use; the same answer (a superset of its
    # earlier {prompt, contributions}).
    for method in ("victor/prompt", "victor/systemPrompt"):
        server.feature(method)(jsonrpc_errors(prompt))

    @server.feature("victor/status")
    @jsonrpc_errors
    async def status(ls: VictorServer, raw: Any) -> dict[str, Any]:
        from victor.lsp.params import StatusParams, parse

        parse(StatusParams, raw)  # none or {}: anything but an object is InvalidParams
        folders = ls.folders.all
        for folder in folders:
            await ls.folders.refresh_trust(folder)
        started = ls.folders.started_agents()
        if started:
            orchestrator = started[0][1].orchestrator
            provider, model = orchestrator.provider.name, orchestrator.model
            settings = orchestrator.settings
        else:
            from victor.config.loader import load_settings_report

            # ignored keys are reported when the folder's agent starts, not at every poll
            settings, _ = load_settings_report(
                folders[0].path if folders else None, init_options=ls.folders.init_options
            )
            from victor.providers import default_model

            provider = settings.resolved_provider()
            # what the agent will use once started (an empty name would show as no model)
            model = settings.model or default_model(provider)
        ready = len(started) == len(folders) and all(a.style.ready for _, a in started)
        from victor.providers.limits import cap_for

        cap = cap_for(provider, model, settings.max_tokens)  # the model's output limit
        return {
            "version": __version__,
            "provider": provider,
            "model": model,
            "maxTokens": cap.sent,
            "notes": [cap.note(model)] if cap.capped else [],
            "workspaceFolders": [f.uri or from_fs_path(str(f.path)) for f in folders],
            "folders": [
                {
                    "uri": f.uri or from_fs_path(str(f.path)),
                    "trusted": f.trust.trusted,
                    "trustSource": f.trust.source,
                    "ignoredSettings": list(f.ignored_settings),
                }
                for f in folders
            ],
            "ready": ready,
        }
