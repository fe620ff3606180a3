"""The to-do app of django-rest-live's documentation (its models, exactly), for the migration guide's examples."""
