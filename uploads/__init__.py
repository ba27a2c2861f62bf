"""/api/v1/uploads/: Upload records, filename sanitising, limits, the latest upload per data source."""
