"""The shop sync's pure model: product state as the shop must show it, runs, batches."""
