"""QuickBooks Online: OAuth 2 (intuit-oauth), the company read at connect, and the
accounting API through python-quickbooks."""
