"""Cost service: billing data, forecasts, budgets and estimates."""
