"""Risk acceptance: living with a risk as it is, approved by someone with the authority its band
needs, until an expiry date."""
