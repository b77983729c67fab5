"""Primitives by family (elementwise, reduction, shape, indexing, linalg) and their functional forms."""
