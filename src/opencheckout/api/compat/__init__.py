"""Compatibility dialects: other providers' request and response shapes, mapped
onto the native services. No business rule lives here, only translation."""
