"""Sweeps: many runs at once (the product of architectures, modes and seeds), restartable, on local
worker processes or a Ray cluster, with their numbers aggregated over seeds. Each member is an
ordinary run folder, with the run file `train` writes."""
