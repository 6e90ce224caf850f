"""Training runs: a tracked run executed by the training engine on the `train` queue, with
live metrics, cancel, resume and recovery from a lost worker."""
