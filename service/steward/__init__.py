"""Resolution for data stewards: operator corrections that stick (``separate``,
``assertSame``, value overrides), persons flagged for review, and possible matches
suggested (never merged automatically)."""

__all__: list[str] = []
