"""The report: runs and sweeps on one offline web page (videos with their posters, figures, configs,
sweep summaries and seed-aggregated plots), with side-by-side playback of two to four videos."""
