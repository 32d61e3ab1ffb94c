"""Windows of label rasters: the grid of windows, their exact counts, crop-aware statistics."""
