"""The demo year: a synthetic hospital year shaped like the reference hospital's 2022 activity."""
