"""Reading supplier feeds: bounded HTTP fetching and one parser per format, all driven by
the supplier's feed configuration (data, not code)."""
