"""The optimizers kinpaint's models train with, built so `.keras` files keep their state."""

import keras


def build_optimizer(optimizer, variables):
    """Build `optimizer` now, so `.keras` files save and restore its state."""
    optimizer = keras.optimizers.get(optimizer)
    optimizer.build(variables)
    return optimizer


def default_adam(learning_rate=2e-4):
    """Adam as in DCGAN and seed 003: beta_1 0.5, gradients clipped to norm 1."""
    return keras.optimizers.Adam(learning_rate, beta_1=0.5, clipnorm=1.0)
