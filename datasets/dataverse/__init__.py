"""The Dataverse dialect of datasets: addressing and access, direct-upload identifiers and tickets,
registration of direct and native (zip) uploads, file metadata, locks and drafts, answer bodies."""
