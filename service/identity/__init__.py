"""What comes in and how it becomes persons: the input contract (``contract``),
identifier normalization (``identifiers``), file reading (``files``), the write pipeline
(``ingest``) and write-time resolution (``resolution``)."""

__all__: list[str] = []
