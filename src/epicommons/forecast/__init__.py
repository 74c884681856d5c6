"""forecast: short-term forecasts of weekly counts and their track record — the Forecast Hub
baseline, a renewal-equation model on Rt, their quantile-average ensemble, and rolling-origin
evaluation with the weighted interval score. Imports surveillance and calibrate (scores, backends).
"""
