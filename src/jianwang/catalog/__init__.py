"""The protection list: rights holders, works, reference assets, batches and licences."""
