"""Customer sign-in: phone + one-time code, answered with a short-lived member token."""
