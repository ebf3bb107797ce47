"""What a buyintent model is: labels, text normalization, artifacts, predictors, mentions."""
