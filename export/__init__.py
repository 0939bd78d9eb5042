"""Export to talk formats: PowerPoint decks from what runs, sweeps, reports and the lecture wrote."""
