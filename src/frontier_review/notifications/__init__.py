"""In-app notifications: what happened that a person should look at."""
