"""CLI sub-commands that live beside their feature (each module has ``register(app)``)."""
