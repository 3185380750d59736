"""What goes out: read models of persons, journeys and explanations (``models``),
graph-wide counts (``stats``), live events for subscribers (``live``), and the sharing of
concurrent lookups' statements (``coalesce``)."""

__all__: list[str] = []
