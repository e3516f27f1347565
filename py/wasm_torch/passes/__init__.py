"""Graph passes: dead code, lowering to kernel ops, fusion, memory planning."""
