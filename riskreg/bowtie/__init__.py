"""The bowtie of a risk: its causes and consequences, and the controls on their lines."""
