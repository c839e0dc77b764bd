""".editorconfig through the ``editorconfig`` package, with each property traced to its section.

``editorconfig.get_properties`` re-reads every .editorconfig up the tree on each call and does
not say where a value came from. Here each file's text is kept in memory (read once by the scan,
re-read by the watcher) and fed to the package's own parser - section globs are matched by the
package - while recording which section set each property, so a fact can say
``.editorconfig [*.ts]``. Only .editorconfig files inside the workspace are used: Victor reads
nothing outside the workspace folder.
"""

from __future__ import annotations

import contextlib
import io
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from editorconfig.exceptions import ParsingError
from editorconfig.ini import EditorConfigParser

from victor.workspace.card import StyleFact


@dataclass(frozen=True, slots=True)
class EditorConfigFile:
    path: str  # absolute
    rel: str  # as shown in sources
    text: str
    is_root: bool


class _TracedOptions(OrderedDict):
    """The parser's option dict; remembers the section header active when a key was set."""

    def __init__(self, parser: _TracingParser) -> None:
        super().__init__()
        self.parser = parser
        self.sections: dict[str, str] = {}

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key, value)
        self.sections[key] = self.parser.current_section


class _TracingParser(EditorConfigParser):
    def __init__(self, filename: str) -> None:
        super().__init__(filename)
        self.current_section = ""
        self.options = _TracedOptions(self)

    def matches_filename(self, config_filename: str, glob: str) -> bool:
        # Called by the package once per section header, before that section's options.
        self.current_section = glob
        return super().matches_filename(config_filename, glob)


def is_root_file(text: str) -> bool:
    """Whether ``root = true`` appears before the first section (the package's rule)."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            return False
        key, sep, value = stripped.partition("=")
        if sep and key.strip().lower() == "root":
            return value.split("#")[0].split(";")[0].strip().lower() == "true"
    return False


def properties_for(
    filepath: str, chain: Sequence[EditorConfigFile]
) -> dict[str, tuple[str, EditorConfigFile, str]]:
    """Resolve properties for ``filepath``: key -> (value, file that set it, section glob).

    ``chain`` lists the .editorconfig files from the workspace root down to the file's
    directory. Nearer files override farther ones; a ``root = true`` file hides those above.
    """
    start = 0
    for i in range(len(chain) - 1, -1, -1):
        if chain[i].is_root:
            start = i
            break
    result: dict[str, tuple[str, EditorConfigFile, str]] = {}
    for conf in chain[start:]:
        parser = _TracingParser(filepath)
        # The package's own parser, fed from memory. It raises ParsingError only after parsing
        # the good lines, which are kept.
        with contextlib.suppress(ParsingError):
            parser._read(io.StringIO(conf.text), conf.path)
        options: _TracedOptions = parser.options  # type: ignore[assignment]
        for key, value in options.items():
            if value.strip().lower() == "unset":  # the spec's way to drop an inherited value
                result.pop(key, None)
            else:
                result[key] = (value, conf, options.sections.get(key, ""))
    return result


def editorconfig_facts(
    filepath: str, chain: Sequence[EditorConfigFile]
) -> list[tuple[StyleFact, EditorConfigFile]]:
    """StyleFacts from the resolved properties, each with the .editorconfig that set it."""
    props = properties_for(filepath, chain)
    out: list[tuple[StyleFact, EditorConfigFile]] = []

    def low(prop: str) -> str:
        return props[prop][0].strip().lower() if prop in props else ""

    def add(key: str, value: str | int | bool, prop: str) -> None:
        _, conf, section = props[prop]
        out.append((StyleFact(key, value, f"{conf.rel} [{section}]"), conf))

    if low("indent_style") in ("space", "tab"):
        add("indent_style", low("indent_style"), "indent_style")
    size_prop = "indent_size"
    if low(size_prop) == "tab" and "tab_width" in props:
        size_prop = "tab_width"  # indent_size = tab means "as wide as tab_width"
    if low(size_prop).isdigit():
        add("indent_size", int(low(size_prop)), size_prop)
    if low("max_line_length").isdigit():
        add("line_length", int(low("max_line_length")), "max_line_length")
    if low("end_of_line") in ("lf", "crlf", "cr"):
        add("end_of_line", low("end_of_line"), "end_of_line")
    for prop in ("insert_final_newline", "trim_trailing_whitespace"):
        if low(prop) in ("true", "false"):
            add(prop, low(prop) == "true", prop)
    if low("charset"):
        add("charset", low("charset"), "charset")
    if low("quote_type") in ("single", "double"):  # a common extension to the spec
        add("quote_style", low("quote_type"), "quote_type")
    return out
