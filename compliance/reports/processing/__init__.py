"""The record of processing activities (GDPR Art. 30(1)), generated from the registry, as a page, a PDF and CSV."""
