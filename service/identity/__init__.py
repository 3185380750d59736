"""What comes in and how it becomes persons: the input contract (``contract``),
identifier normalization (``identifiers``), file reading (``files``), the write pipeline
(``ingest``, and ``cutting`` for its transactions that share nothing), write-time
resolution in named phases (``resolution``) and connected components (``partition``)."""

__all__: list[str] = []
