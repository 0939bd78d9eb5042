"""What a sentence of the lecture means in numbers: measures of runs, intervals and verdicts,
the sample classifier. No HTML and no drawing: it imports only train, data and the ground modules."""
