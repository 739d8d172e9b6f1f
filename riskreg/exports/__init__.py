"""The register as an Excel workbook: streaming queries, sheet builders, the /export.xlsx view."""
