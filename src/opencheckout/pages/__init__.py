"""The buyer-facing hosted checkout page (server-rendered, translated)."""
