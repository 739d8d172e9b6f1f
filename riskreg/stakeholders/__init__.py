"""Stakeholders of a site: the map (influence x interest) and the engagement plans."""
