"""Import of the Register sheet: a hostile-file gate, a field-by-field preview, one all-or-nothing apply."""
