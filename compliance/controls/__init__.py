"""Compliance controls: GDPR / HIPAA / CCPA catalogs as data, unified controls, assessments, evidence, automated checks."""
