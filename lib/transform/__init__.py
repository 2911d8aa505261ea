"""What is done to it: per-ping rules (Column in, Column out), classification and aggregation
(DataFrame in, DataFrame out). No reads or writes here."""
