"""Models the tests convert: the reference benchmark models and the op-coverage zoo."""
