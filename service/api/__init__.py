"""The GraphQL API: strawberry types over the read models and the ingestor, on Starlette."""

from service.api.app import create_app

__all__ = ["create_app"]
