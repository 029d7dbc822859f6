"""Fake SmartBill Cloud REST API (`/SBORO/api/…`)."""
