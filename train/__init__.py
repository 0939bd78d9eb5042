"""Training stage: the dense VAE, its loop, and the HDF5 run file the renderers read."""
