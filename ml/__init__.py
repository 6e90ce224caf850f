"""SloughGPT's pure-PyTorch library: models, data, training, the .sou format, inference,
personality and evaluation. It never imports Django; workers and the CLI call it."""
