"""Dataset conventions: presets, value remaps, class-name files, and the tables behind them."""
