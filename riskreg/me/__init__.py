"""My work (/me): what each person must do now, and their own settings."""
