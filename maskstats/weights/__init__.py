"""Class weights: schemes, the counts they weigh, weight files."""
