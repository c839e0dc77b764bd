"""Seed example 03: verbatim from the coordinator examples, globals supplied."""

from _globals import *  # noqa: F403  (settings, provider, model, your_db)

import asyncio
from victor.protocols import IPromptContributor, PromptContext
from victor.agent.coordinators.prompt_coordinator import BasePromptContributor
from victor.agent.orchestrator import AgentOrchestrator

class CompliancePromptContributor(BasePromptContributor):
    """Add compliance requirements to prompts."""

    def priority(self) -> int:
        return 80  # High priority

    async def get_contribution(self, context: PromptContext) -> str:
        """Add compliance instructions if needed."""
        if context.get("requires_compliance"):
            return """

## Compliance Requirements
- Follow all regulatory requirements (GDPR, HIPAA, etc.)
- Do not include personal identifiable information (PII)
- Ensure data handling meets security standards
"""
        return ""

class CodeStylePromptContributor(BasePromptContributor):
    """Add code style guidelines to prompts."""

    def __init__(self, style_guide: dict):
        self.style_guide = style_guide

    def priority(self) -> int:
        return 60  # Medium priority

    async def get_contribution(self, context: PromptContext) -> str:
        """Add code style instructions for coding tasks."""
        if context.get("task") == "code_generation":
            return f"""

## Code Style Guidelines
- Max line length: {self.style_guide['max_line_length']}
- Use {self.style_guide['indentation']} for indentation
- Follow {self.style_guide['naming_convention']} naming convention
- Type hints required for all functions
"""
        return ""

class MultilingualPromptContributor(BasePromptContributor):
    """Add language-specific instructions."""

    def priority(self) -> int:
        return 70  # Medium-high priority

    async def get_contribution(self, context: PromptContext) -> str:
        """Add language instructions based on user preference."""
        language = context.get("language", "en")

        instructions = {
            "en": "Respond in English.",
            "es": "Responde en español.",
            "fr": "Répondre en français.",
            "de": "Auf Deutsch antworten.",
            "ja": "日本語で回答してください。",
        }

        return f"\nLanguage: {instructions.get(language, instructions['en'])}"

async def custom_prompt_example():
    """Use custom prompt contributors."""

    # Step 1: Create custom contributors
    compliance_contributor = CompliancePromptContributor()
    code_style_contributor = CodeStylePromptContributor(style_guide={
        "max_line_length": 100,
        "indentation": "4 spaces",
        "naming_convention": "PEP8",
    })
    multilingual_contributor = MultilingualPromptContributor()

    # Step 2: Create prompt coordinator with custom contributors
    from victor.agent.coordinators import PromptCoordinator

    prompt_coordinator = PromptCoordinator(contributors=[
        compliance_contributor,
        code_style_contributor,
        multilingual_contributor,
    ])

    # Step 3: Use with orchestrator
    orchestrator = AgentOrchestrator(
        settings=settings,
        provider=provider,
        model=model,
        _prompt_coordinator=prompt_coordinator
    )

    # Step 4: Build custom prompt
    from victor.protocols import PromptContext

    context = PromptContext({
        "task": "code_generation",
        "requires_compliance": True,
        "language": "en",
    })

    prompt = await prompt_coordinator.build_system_prompt(context)

    print("Generated prompt:")
    print(prompt)
    # Contains:
    # - Base system prompt
    # - Compliance requirements
    # - Code style guidelines
    # - Language instruction

if __name__ == "__main__":
    asyncio.run(custom_prompt_example())
