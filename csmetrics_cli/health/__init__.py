"""The customer health score: model (components, weights, bands) and its backtest."""
