"""The HTTP service: lead intake for websites, the sales queue API and pages, ops endpoints."""
