"""Fake supplier sites: five price/stock feeds in five formats."""
