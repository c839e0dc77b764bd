"""The coordinators an AgentOrchestrator is built from (each injectable)."""

from victor.agent.coordinators.analytics_coordinator import (
    AnalyticsCoordinator,
    BaseAnalyticsExporter,
    SessionAnalytics,
)
from victor.agent.coordinators.chat_coordinator import ChatCoordinator
from victor.agent.coordinators.config_coordinator import ConfigCoordinator
from victor.agent.coordinators.context_coordinator import (
    BaseCompactionStrategy,
    ContextCoordinator,
    RecentMessagesCompactionStrategy,
    SemanticCompactionStrategy,
    SummarizationCompactionStrategy,
    TaskAwareCompactionStrategy,
)
from victor.agent.coordinators.prompt_coordinator import BasePromptContributor, PromptCoordinator
from victor.agent.coordinators.session_coordinator import SessionCoordinator
from victor.agent.coordinators.tool_coordinator import ToolCoordinator

__all__ = [
    "AnalyticsCoordinator",
    "BaseAnalyticsExporter",
    "BaseCompactionStrategy",
    "BasePromptContributor",
    "ChatCoordinator",
    "ConfigCoordinator",
    "ContextCoordinator",
    "PromptCoordinator",
    "RecentMessagesCompactionStrategy",
    "SemanticCompactionStrategy",
    "SessionAnalytics",
    "SessionCoordinator",
    "SummarizationCompactionStrategy",
    "TaskAwareCompactionStrategy",
    "ToolCoordinator",
]
