"""Every proto <-> domain conversion of the pricing service, and nowhere else."""
