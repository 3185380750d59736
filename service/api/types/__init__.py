"""Strawberry types, one module per area."""
