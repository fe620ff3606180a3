"""Observers and subscriptions: model observers, instance subscriptions, live lists, fan-out, delivery."""
