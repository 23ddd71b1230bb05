"""The fallback the tests use when no PostgreSQL server answers: a throwaway cluster
from the local binaries really starts and accepts connections."""

import asyncpg
import pytest

from tests import pg


async def test_throwaway_cluster_starts_and_answers():
    url = pg._throwaway_cluster()
    if url is None:
        pytest.skip("!!! no PostgreSQL binaries on this machine")
    connection = await asyncpg.connect(url)
    try:
        assert await connection.fetchval("SELECT 1") == 1
    finally:
        await connection.close()
