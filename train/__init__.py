"""Training stage: the dense VAE, its loop, and the HDF5 run file (`runfile.py`, the schema) that the renderers read."""
