"""Use cases. Each public function is one transaction over the store."""
