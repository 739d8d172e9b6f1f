"""Reports: the ASM disclosure (GRI MM8 / GRI 14.13)."""
