"""Seed example 02: verbatim from the coordinator examples, globals supplied."""

from _globals import *  # noqa: F403  (settings, provider, model, your_db)

import asyncio
from typing import Dict
from victor.protocols import IConfigProvider
from victor.agent.coordinators import ConfigCoordinator
from victor.agent.orchestrator import AgentOrchestrator

class DatabaseConfigProvider(IConfigProvider):
    """Load configuration from a database."""

    def __init__(self, db_connection):
        self.db = db_connection

    def priority(self) -> int:
        """Higher priority = checked first."""
        return 100

    async def get_config(self, session_id: str) -> Dict:
        """Fetch configuration from database."""
        query = "SELECT config FROM sessions WHERE session_id = $1"
        result = await self.db.fetchrow(query, session_id)

        if result:
            return result["config"]
        return {}  # Empty config = let next provider try

class APIConfigProvider(IConfigProvider):
    """Load configuration from a remote API."""

    def __init__(self, api_base_url: str, api_key: str):
        self.api_base_url = api_base_url
        self.api_key = api_key

    def priority(self) -> int:
        """Lower priority = fallback."""
        return 50

    async def get_config(self, session_id: str) -> Dict:
        """Fetch configuration from API."""
        import httpx

        async with httpx.AsyncClient() as client:
            response = await client.get(
                f"{self.api_base_url}/config/{session_id}",
                headers={"Authorization": f"Bearer {self.api_key}"}
            )
            return response.json() if response.status_code == 200 else {}

async def custom_config_example():
    """Use custom configuration providers."""

    # Step 1: Create custom providers
    db_provider = DatabaseConfigProvider(db_connection=your_db)
    api_provider = APIConfigProvider(
        api_base_url="https://api.example.com",
        api_key="your-api-key"
    )

    # Step 2: Create coordinator with custom providers
    config_coordinator = ConfigCoordinator(providers=[
        db_provider,    # Try database first (priority 100)
        api_provider,   # Fall back to API (priority 50)
    ])

    # Step 3: Use with orchestrator
    orchestrator = AgentOrchestrator(
        settings=settings,
        provider=provider,
        model=model,
        _config_coordinator=config_coordinator  # Inject custom coordinator
    )

    # Step 4: Load configuration
    config = await config_coordinator.load_config(
        session_id="user-session-123"
    )

    print(f"Loaded config: {config}")
    # Config from database if available, otherwise from API

if __name__ == "__main__":
    asyncio.run(custom_config_example())
