"""The staff-training API: ``POST /api/v1/training/statements/`` receives xAPI statements from the LMS (scope ``staff_training:write``)."""
