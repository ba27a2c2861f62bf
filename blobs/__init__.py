"""Bytes: streamed writes with SHA-256, MD5 and a size limit in one pass, storage backends, links."""
