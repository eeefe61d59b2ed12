"""Arrears: credit control and debt collections for SMEs and the agencies that serve them."""

__version__ = "0.1.0"
