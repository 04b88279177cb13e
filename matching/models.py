"""Match recommendation models arrive with the recommendations work; the app is registered
now so its migrations start from the same base as the others."""
