"""Files whose URI needs %-encoding (a space, non-ASCII, ``+``, ``@``): the editor's unsaved
text is what the server uses, however the client spells the URI."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from lsprotocol import types

from tests.lsp.conftest import StartDaemon, make_folder
from tests.lsp.daemon import uri_of, user_texts

NAMES = ["my file.py", "café.py", "a+b.py", "user@host.py"]
ON_DISK = "def saved_on_disk():\n    return 0\n"


def eglot_uri(path: Path) -> str:
    """How eglot spells a file URI: RFC 3986 path characters (``+``, ``@``, ...) are left as
    they are, only the rest is %-encoded (``url-hexify-string`` with the path's allowed set)."""
    return "file://" + quote(str(path.resolve()), safe="/!$&'()*+,;=@~-._")


def unsaved(name: str) -> str:
    marker = "unsaved_" + "".join(c if c.isalnum() else "_" for c in name.removesuffix(".py"))
    return f"# return the answer\n\ndef {marker}():\n    return 42\n"


async def test_unsaved_text_of_files_whose_uri_needs_encoding(
    start: StartDaemon, tmp_path: Path
) -> None:
    folder = make_folder(tmp_path / "wörk space+1@x", {name: ON_DISK for name in NAMES})
    daemon = await start([folder])

    for name in NAMES:
        for spell in (uri_of, eglot_uri):
            path = folder / name
            uri = spell(path)
            text = unsaved(name)
            opened = daemon.open(path, text) if spell is uri_of else _open_as(daemon, uri, text)
            assert opened == uri

            result = await daemon.request("victor/systemPrompt", {"textDocument": {"uri": uri}})
            prompt = result["prompt"]
            assert text.split("def ")[1].split("(")[0] in prompt, (name, uri)
            assert "saved_on_disk" not in prompt, (name, uri)

            # "Generate from comment" is offered on the unsaved comment line
            actions = await daemon.request(
                types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=types.Range(types.Position(0, 2), types.Position(0, 2)),
                    context=types.CodeActionContext(diagnostics=[]),
                ),
            )
            titles = [a["title"] for a in actions or []]
            assert "Victor: Generate from comment" in titles, (name, uri, titles)

            daemon.client.text_document_did_close(
                types.DidCloseTextDocumentParams(
                    text_document=types.TextDocumentIdentifier(uri=uri)
                )
            )

    # chat with such a document: the model sees the unsaved text, not the file on disk
    path = folder / "a+b.py"
    uri = _open_as(daemon, eglot_uri(path), unsaved("a+b.py"))
    await daemon.chat("what does this file do?", textDocument={"uri": uri})
    body = daemon.last_body()
    sent = "".join(b["text"] for b in body["system"]) + "".join(user_texts(body))
    assert "unsaved_a_b" in sent and "saved_on_disk" not in sent


def _open_as(daemon, uri: str, text: str) -> str:
    """didOpen with the URI exactly as given (``Daemon.open`` spells it like Python does)."""
    daemon._versions[uri] = 1
    daemon.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    return uri
