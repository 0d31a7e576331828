"""The report periods (publish.periods) as Dagster partitions."""

import dagster as dg

from publish.periods import PERIOD_KEYS

report_periods = dg.StaticPartitionsDefinition(PERIOD_KEYS)
