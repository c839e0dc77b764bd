"""Victor: an editor-integrated AI agent daemon built on coordinator-based orchestration."""

__version__ = "0.1.0"
