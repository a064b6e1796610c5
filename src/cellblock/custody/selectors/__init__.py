"""Reads of the custody app, one module per area of the shift's work."""
