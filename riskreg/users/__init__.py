"""User administration (admins)."""
