"""The lecture as a product: its media table, its claims checked over seeds, its page, its run."""
