"""HTTP controllers: decode, call one use case, encode."""
