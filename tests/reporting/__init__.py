"""Tests of the reports, the waivers, the diff and the CI gate (issue 5)."""
