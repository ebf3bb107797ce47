"""How a buyintent model is made: training data, trainers, evaluation."""
