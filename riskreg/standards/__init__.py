"""Standards: the catalogue of requirements, links from risks and controls, coverage by site."""
