"""Comments on risks and controls, with @name mentions that notify the person mentioned."""
