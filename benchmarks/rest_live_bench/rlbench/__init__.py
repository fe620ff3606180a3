"""The one-model app of the rest-live fan-out benchmark."""
