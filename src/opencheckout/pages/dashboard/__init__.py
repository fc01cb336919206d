"""The merchant dashboard at ``/dashboard``: server-rendered HTML over the services."""
