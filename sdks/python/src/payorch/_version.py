"""The SDK's version: the payorch API version it speaks (the crate's version in Cargo.toml)."""

__version__ = "0.1.0"
