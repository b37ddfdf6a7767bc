"""How the model is made and measured: corpus -> labels -> train -> evaluate (see README.md); benchmarks/ measure it."""
