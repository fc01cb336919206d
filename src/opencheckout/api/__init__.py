"""HTTP: routing, authentication, request and response schemas."""
