"""Risk appetite: the highest residual band the company will carry per risk category."""
