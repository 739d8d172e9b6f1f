"""The risk register: risks, their scores, history and archive."""
