"""The executive dashboard: heatmaps with drill-down, indicators and the monthly trend."""
