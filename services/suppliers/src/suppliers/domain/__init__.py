"""The suppliers domain: suppliers and their feeds, supplier products and prices, price
alerts, offers, sync runs and supplier orders. Standard library only."""
