"""GraphQL-over-HTTP conformance: the graphql-http server audit (npm) against the service."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

from tests.api.conftest import Api

AUDIT = Path(__file__).parent / "audit"


async def _ensure_installed() -> None:
    if (AUDIT / "node_modules" / "graphql-http").is_dir():
        return
    npm = shutil.which("npm")
    assert npm, "npm is needed for the graphql-http audit"
    proc = await asyncio.create_subprocess_exec(
        npm,
        "ci",
        "--no-audit",
        "--no-fund",
        cwd=AUDIT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()


async def test_graphql_http_audit_must_pass(api: Api) -> None:
    await _ensure_installed()
    node = shutil.which("node")
    assert node, "node is needed for the graphql-http audit"
    proc = await asyncio.create_subprocess_exec(
        node,
        str(AUDIT / "audit.mjs"),
        f"{api.url}/graphql",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    audits = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    musts = [a for a in audits if a["name"].startswith("MUST")]
    assert len(musts) > 10
    failed = [a for a in musts if a["status"] != "ok"]
    assert failed == []
