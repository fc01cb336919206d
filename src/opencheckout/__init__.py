"""opencheckout: a self-hostable checkout-sessions service."""

__version__ = "0.1.0"
