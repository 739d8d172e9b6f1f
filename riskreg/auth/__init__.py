"""Sign-in, users' roles and the permission rules."""
