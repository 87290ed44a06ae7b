"""What only the write token's holder may ask of a running server besides writes: a backup of its store."""
