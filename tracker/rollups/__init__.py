"""Summary tables for the dashboards, kept current by every write, read instead of the inputs.

Why: at a million inputs each leadership figure computed from ``input`` is a scan of
the table, and the page needs about fifteen of them; the public display's counts join
every link of every action. Indexes do not help aggregates over most of a table, and a
columnar copy for the read side would lag the writes. So ``rollup_cell`` holds, per
place and day (and per place and month), the counts and sums of the inputs received
there, per value of each dimension the pages break down by, plus histograms of the
waits; ``rollup_action_place`` holds which places each action's inputs are in. Every
write recomputes the cells it touched, from the inputs, in its own transaction
(``build``), except an import's new inputs, whose counts are added to their cells
(``add``); ``rollup_drift`` compares the stored cells with a recomputation. The pages
read a few thousand rows (``read``, ``public``); the only figure that moves with the
clock, "overdue", subtracts the open inputs not yet due, read through an index.

Not covered: filters on theme, channel or component (counts keyed by every combination
would be as many rows as inputs), which the straightforward queries still answer; and
percentiles, which are exact to within one histogram bucket (``hist``).
"""
