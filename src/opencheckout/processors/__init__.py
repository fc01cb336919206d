"""Payment processors behind one small interface."""
