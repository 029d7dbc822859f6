"""The pure business model of quotations (no framework imports)."""
