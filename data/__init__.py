"""MNIST loading: IDX files from a user directory, the local cache, or a fetched copy."""

from data.mnist import Mnist, cache_dir, load_mnist

__all__ = ["Mnist", "cache_dir", "load_mnist"]
