"""Background jobs (README "Background jobs"): long work runs on a Huey worker, users follow it on
/jobs/<id> and download what it wrote."""
