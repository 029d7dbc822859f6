"""Fake external servers (SmartBill, WooCommerce, supplier sites, SMTP sink) in one process."""
