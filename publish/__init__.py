"""The report's appendices as XLSX, CSV and Parquet, released in versions per period."""
