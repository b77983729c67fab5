"""Primitives by family (elementwise, reduction, shape, indexing, linalg) and functional forms."""
